// "Did you mean …": the closest of a set of words to a misspelt one (config keys, commands, options).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsuku {

// Levenshtein distance: insertions, deletions and substitutions each cost 1.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is within `max_distance` edits (a likely typo); nullopt otherwise.
std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& candidates,
                                        size_t max_distance = 3);

}  // namespace tsuku
