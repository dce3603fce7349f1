#include "common/error.h"

#include <cstdio>
#include <cstring>

namespace tsuku {

void print_problem(std::string_view prefix, std::string_view problem, std::string_view fix) {
    std::fprintf(stderr, "%.*s%.*s\n  fix: %.*s\n", static_cast<int>(prefix.size()), prefix.data(),
                 static_cast<int>(problem.size()), problem.data(), static_cast<int>(fix.size()), fix.data());
}

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns the message pointer (which may or may not be buf).
    return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace tsuku
