// Which JSON-schema keywords a constrained reply honours. The server turns a schema into a grammar with llama.cpp's
// converter, which silently ignores what it does not know (multipleOf, not, if/then, uniqueItems, ...) and happily
// builds grammars no reply can satisfy (enum: [], minimum > maximum). This check mirrors that converter: a schema
// passes only when every keyword in it is honoured, so a reply that matches the grammar is valid for the schema.
// The table of keywords is in the README ("JSON schemas").
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace tsuku::schema {

struct SchemaProblem {
    std::string pointer;  // JSON pointer of the offending keyword (or schema), e.g. "/properties/age/multipleOf"
    std::string keyword;  // e.g. "multipleOf"; empty when the problem is a whole schema
    std::string problem;  // e.g. "multipleOf is not supported: the grammar cannot enforce it"
    std::string fix;      // what to change

    // "<keyword> at <pointer>: <problem>" (the pointer "/" for the root).
    std::string message() const;
};

// The first keyword of `schema` that a reply cannot be made to honour, or nullopt when every keyword is honoured.
std::optional<SchemaProblem> find_unenforceable(const nlohmann::json& schema);

}  // namespace tsuku::schema
