#include "common/error.h"

#include <cstring>

namespace tsuku {

std::string errno_text(int err) {
    char buf[256];
    // GNU strerror_r returns the message pointer (which may or may not be buf).
    return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace tsuku
