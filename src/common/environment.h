// Read access to environment variables, injectable so tests never depend on (or change) the real environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

class Environment {
public:
    using Lookup = std::function<std::optional<std::string>(std::string_view)>;

    explicit Environment(Lookup lookup) : lookup_(std::move(lookup)) {}
    static Environment process();                                       // the real environment
    static Environment fixed(std::map<std::string, std::string> vars);  // for tests

    std::optional<std::string> get(std::string_view name) const { return lookup_(name); }
    // Unset and empty are the same thing for every variable we read.
    std::optional<std::string> get_nonempty(std::string_view name) const {
        auto v = get(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    }

private:
    Lookup lookup_;
};

// TSUKU_LLM_ALLOW_SOFTWARE_DEVICES ("1", "true", "yes"): software GPU devices such as llvmpipe count as devices.
// Read by the server (its backend check) and by tsuku (detection, the failure memory's conditions) alike.
bool software_devices_allowed(const Environment& env);

}  // namespace tsuku
