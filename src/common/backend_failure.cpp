#include "common/backend_failure.h"

namespace tsuku {
namespace {
const BackendFailureInfo& info(BackendFailure r) {
    for (const auto& i : kBackendFailures) {
        if (i.reason == r) return i;
    }
    return kBackendFailures.back();
}
}  // namespace

std::string_view backend_failure_code(BackendFailure r) { return info(r).code; }
std::string_view backend_failure_meaning(BackendFailure r) { return info(r).meaning; }

std::optional<BackendFailure> parse_backend_failure(std::string_view code) {
    for (const auto& i : kBackendFailures) {
        if (i.code == code) return i.reason;
    }
    return std::nullopt;
}

}  // namespace tsuku
