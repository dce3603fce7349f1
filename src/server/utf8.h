#pragma once

#include <string>
#include <string_view>

namespace tsuku::server {

// Replaces every invalid UTF-8 sequence with U+FFFD. Tokens are bytes; a model (above all a synthetic one) can emit
// byte sequences that are not text, and proto3 `string` fields must be valid UTF-8 for clients in every language.
std::string sanitize_utf8(std::string_view in);

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence (for streaming text safely).
size_t complete_utf8_prefix(std::string_view s);

// A cut of `s` at or before `at` that splits no UTF-8 sequence: after the last whitespace in the 256 bytes before
// `at` when there is one (so no word is cut in two), otherwise at a character boundary.
size_t cut_at_word(std::string_view s, size_t at);

// The offset of the first byte of `s` that is not part of valid UTF-8, or npos when all of `s` is valid.
size_t first_invalid_utf8(std::string_view s);

}  // namespace tsuku::server
