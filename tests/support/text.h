// Small text helpers of the tests.
#pragma once

#include <cstddef>
#include <string>

namespace tsuku::test {

// How many times `needle` occurs in `text` (overlaps counted).
inline size_t count_in(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace tsuku::test
