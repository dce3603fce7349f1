#include "common/environment.h"

#include <cstdlib>

namespace tsuku {

Environment Environment::process() {
    return Environment([](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    });
}

Environment Environment::fixed(std::map<std::string, std::string> vars) {
    return Environment([vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
    });
}

bool software_devices_allowed(const Environment& env) {
    const auto v = env.get_nonempty("TSUKU_LLM_ALLOW_SOFTWARE_DEVICES");
    return v && (*v == "1" || *v == "true" || *v == "yes");
}

}  // namespace tsuku
