#include "schema/schema_check.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace tsuku::schema {

using nlohmann::json;

std::string SchemaProblem::message() const {
    const std::string where = pointer.empty() ? "/" : pointer;
    return (keyword.empty() ? "the schema" : keyword) + " at " + where + ": " + problem;
}

namespace {

// Thrown inside the walk, caught at the top: the first problem ends the check.
struct Found {
    SchemaProblem p;
};

const std::set<std::string> kTypes = {"string", "number", "integer", "boolean", "null", "array", "object"};

// Keywords llama.cpp's converter does not implement: a reply would ignore them.
const std::set<std::string> kUnsupported = {"multipleOf",
                                            "not",
                                            "if",
                                            "then",
                                            "else",
                                            "contains",
                                            "minContains",
                                            "maxContains",
                                            "minProperties",
                                            "maxProperties",
                                            "patternProperties",
                                            "propertyNames",
                                            "dependentRequired",
                                            "dependentSchemas",
                                            "dependencies",
                                            "unevaluatedProperties",
                                            "unevaluatedItems",
                                            "additionalItems",
                                            "$dynamicRef",
                                            "$recursiveRef"};

// Keywords that constrain a value. The converter honours one branch per schema (e.g. $ref, then anyOf, then const,
// ...); an assertion beside the branch taken is ignored, so it is refused.
const std::set<std::string> kAssertions = {"type",
                                           "properties",
                                           "required",
                                           "additionalProperties",
                                           "items",
                                           "prefixItems",
                                           "minItems",
                                           "maxItems",
                                           "minLength",
                                           "maxLength",
                                           "pattern",
                                           "format",
                                           "minimum",
                                           "maximum",
                                           "exclusiveMinimum",
                                           "exclusiveMaximum",
                                           "allOf",
                                           "anyOf",
                                           "oneOf",
                                           "const",
                                           "enum",
                                           "$ref",
                                           "uniqueItems"};

// String formats the grammar spells out exactly. llama.cpp's date, time and date-time rules check only the shape
// (they allow 2024-02-31), so those are refused like any other format.
const std::set<std::string> kFormats = {"uuid"};

std::string escape_pointer(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

// The JSON types `value` belongs to ("integer" values are numbers too).
bool is_of_type(const json& v, const std::string& t) {
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "array") return v.is_array();
    if (t == "object") return v.is_object();
    if (t == "number") return v.is_number();
    if (t == "integer") {
        return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    }
    return false;
}

class Checker {
public:
    explicit Checker(const json& root) : root_(root) {}

    void visit(const json& s, const std::string& ptr) {
        if (s.is_boolean()) {
            refuse(ptr, "", s.get<bool>() ? "a boolean schema (true) is not supported" : "false accepts no value",
                   s.get<bool>() ? "write {} for any value" : "remove the schema or the property");
        }
        if (!s.is_object()) refuse(ptr, "", "a schema must be a JSON object", "write a schema object here");
        for (const auto& [k, v] : s.items()) {
            if (kUnsupported.count(k)) {
                refuse(ptr + "/" + escape_pointer(k), k, k + " is not supported: the grammar cannot enforce it",
                       "remove \"" + k + "\" and check that part of the reply yourself");
            }
            if (k == "uniqueItems" && !(v.is_boolean() && !v.get<bool>())) {
                refuse(ptr + "/uniqueItems", k, "uniqueItems is not supported: the grammar cannot enforce it",
                       "remove \"uniqueItems\" and drop duplicates from the reply yourself");
            }
        }
        for (const char* defs : {"$defs", "definitions"}) {
            if (!s.contains(defs)) continue;
            const json& d = s[defs];
            if (!d.is_object()) refuse(ptr + "/" + defs, defs, std::string(defs) + " must be an object", "fix it");
            for (const auto& [name, sub] : d.items()) visit(sub, ptr + "/" + defs + "/" + escape_pointer(name));
        }

        if (s.contains("$ref")) return check_ref(s, ptr);
        if (s.contains("oneOf") || s.contains("anyOf")) return check_union(s, ptr);

        const std::vector<std::string> types = types_of(s, ptr);
        if (s.contains("const") || s.contains("enum")) return check_values(s, ptr, types);
        if (types.empty()) {
            check_single(s, ptr, "");
        } else {
            for (const auto& t : types) check_single(s, ptr, t);
        }
    }

private:
    [[noreturn]] static void refuse(const std::string& ptr, const std::string& keyword, std::string problem,
                                    std::string fix) {
        throw Found{{ptr, keyword, std::move(problem), std::move(fix)}};
    }

    // Refuses every assertion of `s` outside `allowed`: the branch taken ignores them.
    static void only_beside(const json& s, const std::string& ptr, const std::string& branch,
                            const std::set<std::string>& allowed) {
        for (const auto& [k, v] : s.items()) {
            if (k == branch || allowed.count(k) || !kAssertions.count(k)) continue;
            refuse(ptr + "/" + escape_pointer(k), k, k + " beside " + branch + " is ignored by the grammar",
                   branch == "$ref" ? "move \"" + k + "\" into the referenced schema"
                                    : "move \"" + k + "\" into each alternative or remove it");
        }
    }

    std::vector<std::string> types_of(const json& s, const std::string& ptr) const {
        std::vector<std::string> out;
        if (!s.contains("type")) return out;
        const json& t = s["type"];
        const auto add = [&](const json& one) {
            if (!one.is_string() || !kTypes.count(one.get<std::string>())) {
                refuse(ptr + "/type", "type", "unknown type " + one.dump(),
                       "use string, number, integer, boolean, null, array or object");
            }
            out.push_back(one.get<std::string>());
        };
        if (t.is_array()) {
            if (t.empty()) refuse(ptr + "/type", "type", "an empty list of types accepts no value", "name a type");
            for (const auto& one : t) add(one);
        } else {
            add(t);
        }
        return out;
    }

    const json& resolve(const std::string& ref, const std::string& ptr) const {
        if (ref.rfind("#/", 0) != 0) {
            refuse(ptr + "/$ref", "$ref", "only references inside the schema (\"#/...\") are supported, not " + ref,
                   "copy the referenced schema into $defs and refer to \"#/$defs/<name>\"");
        }
        try {
            return root_.at(json::json_pointer(ref.substr(1)));
        } catch (const std::exception&) {
            refuse(ptr + "/$ref", "$ref", ref + " does not resolve to anything in the schema",
                   "point it at an existing definition, e.g. \"#/$defs/<name>\"");
        }
    }

    void check_ref(const json& s, const std::string& ptr) const {
        if (!s["$ref"].is_string()) refuse(ptr + "/$ref", "$ref", "$ref must be a string", "write \"#/$defs/<name>\"");
        resolve(s["$ref"].get<std::string>(), ptr);  // the target is checked where it lives
        only_beside(s, ptr, "$ref", {});
    }

    void check_union(const json& s, const std::string& ptr) {
        const std::string kw = s.contains("oneOf") ? "oneOf" : "anyOf";
        if (s.contains("oneOf") && s.contains("anyOf")) {
            refuse(ptr + "/anyOf", "anyOf", "anyOf beside oneOf is ignored by the grammar", "use one of them");
        }
        only_beside(s, ptr, kw, {});
        const json& alts = s[kw];
        if (!alts.is_array() || alts.empty()) {
            refuse(ptr + "/" + kw, kw, kw + " must be a non-empty list of schemas (an empty one accepts no value)",
                   "list at least one schema");
        }
        for (size_t i = 0; i < alts.size(); ++i) visit(alts[i], ptr + "/" + kw + "/" + std::to_string(i));
        if (kw == "oneOf" && !exclusive(alts)) {
            refuse(ptr + "/oneOf", "oneOf",
                   "oneOf needs exactly one alternative to match, but the grammar only ensures at least one and "
                   "these alternatives can overlap",
                   "use anyOf, or give each alternative a different \"type\" or \"const\"");
        }
    }

    // The alternatives cannot both match one value: each is a const (distinct values) or each has one distinct type
    // (integer counts as number).
    static bool exclusive(const json& alts) {
        std::set<std::string> seen;
        bool all_const = true, all_typed = true;
        for (const auto& a : alts) {
            all_const = all_const && a.is_object() && a.contains("const");
            all_typed = all_typed && a.is_object() && a.contains("type") && a["type"].is_string();
        }
        if (!all_const && !all_typed) return false;
        for (const auto& a : alts) {
            std::string key = all_const ? a["const"].dump() : a["type"].get<std::string>();
            if (key == "integer") key = "number";
            if (!seen.insert(key).second) return false;
        }
        return true;
    }

    void check_values(const json& s, const std::string& ptr, const std::vector<std::string>& types) const {
        const bool has_const = s.contains("const");
        const std::string kw = has_const ? "const" : "enum";
        only_beside(s, ptr, kw, {"type", "enum"});
        std::vector<json> values;
        if (has_const) {
            values.push_back(s["const"]);
        } else {
            const json& e = s["enum"];
            if (!e.is_array()) refuse(ptr + "/enum", "enum", "enum must be a list of values", "write [\"a\", \"b\"]");
            if (e.empty()) {
                refuse(ptr + "/enum", "enum", "enum is empty: no value satisfies it", "list at least one value");
            }
            values.assign(e.begin(), e.end());
        }
        for (size_t i = 0; i < values.size(); ++i) {
            const std::string where = has_const ? ptr + "/const" : ptr + "/enum/" + std::to_string(i);
            bool typed = types.empty();
            for (const auto& t : types) typed = typed || is_of_type(values[i], t);
            if (!typed) {
                refuse(where, kw, values[i].dump() + " is not of the schema's type, so no reply may use it",
                       "make the value and \"type\" agree");
            }
            if (has_const && s.contains("enum") &&
                !(s["enum"].is_array() &&
                  std::find(s["enum"].begin(), s["enum"].end(), values[i]) != s["enum"].end())) {
                refuse(where, kw, "const " + values[i].dump() + " is not in enum: no value satisfies both",
                       "remove enum or add the value to it");
            }
        }
    }

    static int64_t count_value(const json& s, const std::string& ptr, const char* kw) {
        const json& v = s[kw];
        if (!v.is_number_integer() || v.get<int64_t>() < 0) {
            refuse(ptr + "/" + kw, kw, std::string(kw) + " must be a non-negative integer, not " + v.dump(),
                   "write a whole number");
        }
        return v.get<int64_t>();
    }

    static void ordered(const json& s, const std::string& ptr, const char* lo, const char* hi) {
        if (!s.contains(lo) || !s.contains(hi)) return;
        const int64_t a = count_value(s, ptr, lo), b = count_value(s, ptr, hi);
        if (a > b) {
            refuse(ptr + "/" + lo, lo,
                   std::string(lo) + " " + std::to_string(a) + " is greater than " + hi + " " + std::to_string(b) +
                       ": no value satisfies both",
                   std::string("make ") + lo + " at most " + hi);
        }
    }

    // The keywords of `kws` present in `s`, refused as ignored by the branch the grammar takes for type `t`.
    static void ignored(const json& s, const std::string& ptr, const std::string& t,
                        const std::vector<std::string>& kws, const std::string& fix) {
        for (const auto& k : kws) {
            if (!s.contains(k)) continue;
            refuse(ptr + "/" + k, k,
                   k + (t.empty() ? " without a \"type\"" : " with type " + t) + " is not enforced by the grammar",
                   fix);
        }
    }

    void check_object(const json& s, const std::string& ptr) {
        std::set<std::string> names;
        if (s.contains("properties")) {
            const json& props = s["properties"];
            if (!props.is_object()) refuse(ptr + "/properties", "properties", "properties must be an object", "fix it");
            for (const auto& [name, sub] : props.items()) {
                names.insert(name);
                visit(sub, ptr + "/properties/" + escape_pointer(name));
            }
        }
        if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
            visit(s["additionalProperties"], ptr + "/additionalProperties");
        } else if (s.contains("additionalProperties") && !s["additionalProperties"].is_boolean()) {
            refuse(ptr + "/additionalProperties", "additionalProperties", "must be a boolean or a schema", "fix it");
        }
        check_required(s, ptr, names);
        ignored(s, ptr, "object", {"allOf"}, "merge the allOf parts into properties");
    }

    static void check_required(const json& s, const std::string& ptr, const std::set<std::string>& names) {
        if (!s.contains("required")) return;
        const json& req = s["required"];
        if (!req.is_array()) refuse(ptr + "/required", "required", "required must be a list of names", "fix it");
        for (size_t i = 0; i < req.size(); ++i) {
            if (!req[i].is_string() || !names.count(req[i].get<std::string>())) {
                refuse(ptr + "/required/" + std::to_string(i), "required",
                       "required lists " + req[i].dump() +
                           ", which properties does not define, so the grammar "
                           "would not produce it",
                       "define it under properties or remove it from required");
            }
        }
    }

    // allOf: the grammar merges the properties of object parts (all of them required), or intersects enums.
    void check_all_of(const json& s, const std::string& ptr, const std::string& t) {
        const json& parts = s["allOf"];
        if (!parts.is_array() || parts.empty()) {
            refuse(ptr + "/allOf", "allOf", "allOf must be a non-empty list of schemas", "list the schemas to merge");
        }
        only_beside(s, ptr, "allOf", {"type"});
        std::string first_type;
        std::set<std::string> names;
        std::vector<json> enum_values;
        bool any_enum = false, any_props = false;
        for (size_t i = 0; i < parts.size(); ++i) {
            const std::string at = ptr + "/allOf/" + std::to_string(i);
            const json* part = &parts[i];
            if (part->is_object() && part->contains("$ref") && (*part)["$ref"].is_string()) {
                part = &resolve((*part)["$ref"].get<std::string>(), at);
            } else {
                visit(*part, at);
            }
            if (!part->is_object()) refuse(at, "allOf", "an allOf part must be a schema object", "fix it");
            if (part->contains("type")) {
                std::string pt = (*part)["type"].is_string() ? (*part)["type"].get<std::string>() : "";
                if (pt == "integer") pt = "number";
                if (first_type.empty()) first_type = pt;
                if (pt != first_type) {
                    refuse(at + "/type", "allOf",
                           "allOf combines type " + first_type + " with type " + pt + ": no value is both",
                           "make the parts agree on one type");
                }
            }
            for (const auto& [k, v] : part->items()) {
                if (k == "properties") {
                    any_props = true;
                    for (const auto& [name, sub] : v.items()) {
                        if (!names.insert(name).second) {
                            refuse(at + "/properties/" + escape_pointer(name), "allOf",
                                   "property '" + name +
                                       "' is defined by two allOf parts: the grammar cannot "
                                       "merge them",
                                   "define it once");
                        }
                    }
                } else if (k == "enum") {
                    any_enum = true;
                } else if (kAssertions.count(k) && k != "type" && k != "required") {
                    refuse(at + "/" + escape_pointer(k), k,
                           k + " inside allOf is not enforced: the grammar merges only properties and enums",
                           "merge the allOf parts into one schema");
                }
            }
        }
        if (any_props && any_enum) {
            refuse(ptr + "/allOf", "allOf", "allOf mixes objects and enums: no value is both", "use one kind");
        }
        if (any_props && !first_type.empty() && first_type != "object") {
            refuse(ptr + "/allOf", "allOf", "allOf combines properties with type " + first_type, "use type object");
        }
        if (any_props && !t.empty() && t != "object") {
            refuse(ptr + "/allOf", "allOf", "allOf of objects under type " + t + ": no value is both",
                   "use type object");
        }
        if (any_enum) {
            // Values present in every part's enum.
            std::vector<json> common;
            for (const auto& v : parts[0].value("enum", json::array())) {
                bool everywhere = true;
                for (const auto& p : parts) {
                    const json e = p.value("enum", json::array());
                    everywhere = everywhere && std::find(e.begin(), e.end(), v) != e.end();
                }
                if (everywhere) common.push_back(v);
            }
            if (common.empty()) {
                refuse(ptr + "/allOf", "allOf", "the enums of allOf have no value in common: no value satisfies all",
                       "make them share a value");
            }
        }
    }

    void check_array(const json& s, const std::string& ptr) {
        if (s.contains("items") && s.contains("prefixItems")) {
            refuse(ptr + "/prefixItems", "prefixItems", "prefixItems beside items is ignored by the grammar",
                   "use prefixItems alone (a fixed list) or items alone");
        }
        const std::string kw = s.contains("items") ? "items" : "prefixItems";
        const json& items = s[kw];
        if (items.is_array()) {  // a tuple: exactly these items
            for (size_t i = 0; i < items.size(); ++i) visit(items[i], ptr + "/" + kw + "/" + std::to_string(i));
            const auto n = static_cast<int64_t>(items.size());
            if (s.contains("minItems") && count_value(s, ptr, "minItems") > n) {
                refuse(ptr + "/minItems", "minItems", "minItems exceeds the " + std::to_string(n) + " listed items",
                       "list as many items as minItems");
            }
            if (s.contains("maxItems") && count_value(s, ptr, "maxItems") < n) {
                refuse(ptr + "/maxItems", "maxItems", "maxItems is below the " + std::to_string(n) + " listed items",
                       "list at most maxItems items");
            }
            return;
        }
        if (kw == "prefixItems") {
            refuse(ptr + "/prefixItems", "prefixItems", "prefixItems must be a list of schemas", "fix it");
        }
        visit(items, ptr + "/items");
        if (s.contains("minItems")) count_value(s, ptr, "minItems");
        if (s.contains("maxItems")) count_value(s, ptr, "maxItems");
        ordered(s, ptr, "minItems", "maxItems");
    }

    static void check_pattern(const json& s, const std::string& ptr) {
        const json& p = s["pattern"];
        if (!p.is_string()) refuse(ptr + "/pattern", "pattern", "pattern must be a string", "write a regex");
        const std::string re = p.get<std::string>();
        if (re.size() < 2 || re.front() != '^' || re.back() != '$') {
            refuse(ptr + "/pattern", "pattern",
                   "pattern must be anchored (start with ^ and end with $): the grammar matches the whole string",
                   "write ^.*" + re + ".*$ for a pattern found anywhere, or anchor it");
        }
        for (const char* k : {"minLength", "maxLength", "format"}) {
            if (s.contains(k)) {
                refuse(ptr + "/" + k, k, std::string(k) + " beside pattern is ignored by the grammar",
                       "express it in the pattern (e.g. ^.{2,8}$) or remove it");
            }
        }
    }

    static void check_integer(const json& s, const std::string& ptr) {
        const auto bound = [&](const char* kw) {
            const json& v = s[kw];
            if (!is_of_type(v, "integer")) {
                refuse(ptr + "/" + kw, kw, std::string(kw) + " " + v.dump() + " of an integer must be a whole number",
                       "write a whole number");
            }
            return static_cast<int64_t>(v.get<double>());
        };
        for (const auto& [a, b] :
             {std::pair{"minimum", "exclusiveMinimum"}, std::pair{"maximum", "exclusiveMaximum"}}) {
            if (s.contains(a) && s.contains(b)) {
                refuse(ptr + "/" + b, b, std::string(b) + " beside " + a + " is ignored by the grammar",
                       std::string("keep one of ") + a + " and " + b);
            }
        }
        const bool has_lo = s.contains("minimum") || s.contains("exclusiveMinimum");
        const bool has_hi = s.contains("maximum") || s.contains("exclusiveMaximum");
        if (!has_lo || !has_hi) {
            if (s.contains("minimum")) bound("minimum");
            if (s.contains("exclusiveMinimum")) bound("exclusiveMinimum");
            if (s.contains("maximum")) bound("maximum");
            if (s.contains("exclusiveMaximum")) bound("exclusiveMaximum");
            return;
        }
        const char* lo_kw = s.contains("minimum") ? "minimum" : "exclusiveMinimum";
        const char* hi_kw = s.contains("maximum") ? "maximum" : "exclusiveMaximum";
        const int64_t lo = bound(lo_kw) + (s.contains("minimum") ? 0 : 1);
        const int64_t hi = bound(hi_kw) - (s.contains("maximum") ? 0 : 1);
        if (lo > hi) {
            refuse(ptr + "/" + lo_kw, lo_kw,
                   std::string(lo_kw) + " " + s[lo_kw].dump() + " and " + hi_kw + " " + s[hi_kw].dump() +
                       " leave no integer",
                   std::string("make ") + lo_kw + " smaller than " + hi_kw);
        }
    }

    // One type (or none), following the converter's order of branches.
    void check_single(const json& s, const std::string& ptr, const std::string& t) {
        const bool any = t.empty();
        const auto obj_branch =
            s.contains("properties") || (s.contains("additionalProperties") && s["additionalProperties"] != true);
        if ((any || t == "object") && obj_branch) return check_object(s, ptr);
        if ((any || t == "object" || t == "string") && s.contains("allOf")) return check_all_of(s, ptr, t);
        if (s.contains("allOf")) {
            refuse(ptr + "/allOf", "allOf", "allOf with type " + t + " is not enforced by the grammar",
                   "merge the parts into one schema");
        }
        if ((any || t == "array") && (s.contains("items") || s.contains("prefixItems"))) return check_array(s, ptr);
        if ((any || t == "string") && s.contains("pattern")) return check_pattern(s, ptr);
        if ((any || t == "string") && s.contains("format")) {
            const std::string f = s["format"].is_string() ? s["format"].get<std::string>() : "";
            if (!kFormats.count(f)) {
                refuse(ptr + "/format", "format", "format " + s["format"].dump() + " is not enforced by the grammar",
                       "use a pattern (^...$) and check the value yourself (only uuid is enforced)");
            }
            ignored(s, ptr, "string", {"minLength", "maxLength"}, "remove it: the format fixes the length");
            return;
        }
        if (t == "string") {
            if (s.contains("minLength")) count_value(s, ptr, "minLength");
            if (s.contains("maxLength")) count_value(s, ptr, "maxLength");
            return ordered(s, ptr, "minLength", "maxLength");
        }
        if (t == "integer") return check_integer(s, ptr);
        if (t == "number") {
            return ignored(s, ptr, t, {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
                           "use \"type\": \"integer\" for bounds, or check the bound yourself");
        }
        if (t == "object") return ignored(s, ptr, t, {"required"}, "define the required names under properties");
        if (t == "array") {
            return ignored(s, ptr, t, {"minItems", "maxItems"}, "add \"items\" (e.g. {}) so the count is enforced");
        }
        if (any) {
            ignored(s, ptr, t,
                    {"minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems",
                     "maxItems", "required"},
                    "add the \"type\" it applies to");
        }
    }

    const json& root_;
};

}  // namespace

std::optional<SchemaProblem> find_unenforceable(const json& schema) {
    try {
        Checker(schema).visit(schema, "");
    } catch (const Found& f) {
        return f.p;
    }
    return std::nullopt;
}

}  // namespace tsuku::schema
