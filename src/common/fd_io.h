// Writing a whole buffer to a file descriptor: partial writes continued, EINTR retried.
#pragma once

#include <string_view>

namespace tsuku {

// 0 when every byte was written, else the errno of the failed write (EIO for a write that wrote nothing).
[[nodiscard]] int write_all(int fd, std::string_view data);

}  // namespace tsuku
