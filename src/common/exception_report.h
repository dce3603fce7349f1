// The last word of a program (tsuku's CLI, the tsuku-llm server): the exception that reached main, printed the one
// way, as an exit code from the table.
#pragma once

#include <string_view>

namespace tsuku {

// Called inside a catch block at a program's boundary: prints the exception being handled (a UserError as problem +
// fix, anything else as "<prefix>internal error: …") and returns the exit code for it.
int report_current_exception(std::string_view prefix) noexcept;

}  // namespace tsuku
