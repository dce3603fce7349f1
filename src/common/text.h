// Small string helpers every part uses: trimming whitespace and joining lists for messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tsuku {

// `s` without leading and trailing whitespace (space, tab, CR, LF, FF, VT).
std::string_view trim(std::string_view s);

// Appends `item` to the list `out`, with `separator` before it unless the list is empty: "a, b, c".
void append_listed(std::string& out, std::string_view separator, std::string_view item);

// The items with `separator` between them.
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace tsuku
