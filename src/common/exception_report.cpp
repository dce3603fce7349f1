#include "common/exception_report.h"

#include <cstdio>
#include <exception>

#include "common/error.h"
#include "common/exit_codes.h"

namespace tsuku {

int report_current_exception(std::string_view prefix) noexcept {
    const int n = static_cast<int>(prefix.size());
    try {
        throw;
    } catch (const UserError& e) {
        print_problem(prefix, e.what(), e.fix());
        return to_int(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%.*sinternal error: %s\n", n, prefix.data(), e.what());
    } catch (...) {
        std::fprintf(stderr, "%.*sinternal error: an unknown exception\n", n, prefix.data());
    }
    return to_int(ExitCode::internal);
}

}  // namespace tsuku
