#include "manifest/manifest.h"

#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/error.h"

namespace tsuku::manifest {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& rule) {
    throw ManifestError("manifest: " + path + ": " + rule);
}

const json& member(const json& j, const std::string& key, const std::string& path) {
    if (!j.is_object()) bad(path, "must be an object");
    auto it = j.find(key);
    if (it == j.end()) bad(path + "." + key, "is required");
    return *it;
}

std::string get_string(const json& j, const std::string& key, const std::string& path, bool required = true) {
    if (!required && (!j.contains(key) || j[key].is_null())) return "";
    const json& v = member(j, key, path);
    if (!v.is_string() || v.get<std::string>().empty()) bad(path + "." + key, "must be a non-empty string");
    return v.get<std::string>();
}

uint64_t get_uint(const json& j, const std::string& key, const std::string& path, bool required = true) {
    if (!required && !j.contains(key)) return 0;
    const json& v = member(j, key, path);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
        bad(path + "." + key, "must be a non-negative integer");
    }
    return v.get<uint64_t>();
}

std::vector<std::string> get_strings(const json& j, const std::string& key, const std::string& path) {
    std::vector<std::string> out;
    if (!j.contains(key)) return out;
    const json& v = j[key];
    if (!v.is_array()) bad(path + "." + key, "must be an array of strings");
    for (const auto& e : v) {
        if (!e.is_string() || e.get<std::string>().empty()) bad(path + "." + key, "must be an array of strings");
        out.push_back(e.get<std::string>());
    }
    return out;
}

Backend get_backend(const std::string& name, const std::string& path) {
    auto b = parse_backend(name);
    if (!b) bad(path, "unknown backend '" + name + "' (known: " + backend_names_joined() + ")");
    return *b;
}

bool is_hex64(const std::string& s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool has_allowed_scheme(std::string_view url) {
    return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0 || url.rfind("file:///", 0) == 0;
}

Artifact parse_artifact(const json& j, const std::string& path) {
    Artifact a;
    a.url = get_string(j, "url", path);
    a.sha256 = get_string(j, "sha256", path);
    a.size = get_uint(j, "size", path);
    if (!has_allowed_scheme(a.url)) bad(path + ".url", "must be an https://, http:// or file:/// URL");
    if (!is_safe_file_name(a.file_name())) bad(path + ".url", "must end in a plain file name");
    if (!is_hex64(a.sha256)) bad(path + ".sha256", "must be 64 lowercase hex digits");
    if (a.size == 0) bad(path + ".size", "must be greater than 0");
    return a;
}

json artifact_json(const Artifact& a) { return {{"url", a.url}, {"sha256", a.sha256}, {"size", a.size}}; }

Requirements parse_requirements(const json& j, const std::string& path) {
    Requirements r;
    if (!j.is_object()) bad(path, "must be an object");
    static const std::set<std::string> known = {"libraries", "vulkan_api", "cuda_driver", "min_compute_capability"};
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!known.count(it.key())) bad(path + "." + it.key(), "unknown requirement");
    }
    r.libraries = get_strings(j, "libraries", path);
    static const std::regex version(R"(\d+\.\d+)");
    auto opt_version = [&](const char* key) -> std::optional<std::string> {
        std::string v = get_string(j, key, path, false);
        if (v.empty()) return std::nullopt;
        if (!std::regex_match(v, version)) bad(path + "." + key, "must be a version like \"13.0\"");
        return v;
    };
    r.vulkan_api = opt_version("vulkan_api");
    r.cuda_driver = opt_version("cuda_driver");
    r.min_compute_capability = opt_version("min_compute_capability");
    return r;
}

json requirements_json(const Requirements& r) {
    json j = json::object();
    if (!r.libraries.empty()) j["libraries"] = r.libraries;
    if (r.vulkan_api) j["vulkan_api"] = *r.vulkan_api;
    if (r.cuda_driver) j["cuda_driver"] = *r.cuda_driver;
    if (r.min_compute_capability) j["min_compute_capability"] = *r.min_compute_capability;
    return j;
}

Platform parse_platform(const std::string& name, const json& j, const std::string& path) {
    static const std::regex platform_name(R"([a-z0-9]+-[a-z0-9_]+)");
    if (!std::regex_match(name, platform_name)) bad(path, "platform names look like linux-amd64");
    Platform p;
    p.name = name;
    const json& variants = member(j, "variants", path);
    if (!variants.is_object() || variants.empty()) bad(path + ".variants", "must list at least one variant");
    for (auto it = variants.begin(); it != variants.end(); ++it) {
        const std::string vpath = path + ".variants." + it.key();
        Variant v;
        v.backend = get_backend(it.key(), vpath);
        v.artifact = parse_artifact(it.value(), vpath);
        v.variant_json_sha256 = get_string(it.value(), "variant_json_sha256", vpath);
        if (!is_hex64(v.variant_json_sha256)) bad(vpath + ".variant_json_sha256", "must be 64 lowercase hex digits");
        v.components = get_strings(it.value(), "components", vpath);
        if (it.value().contains("requires")) {
            v.requirements = parse_requirements(it.value()["requires"], vpath + ".requires");
        }
        p.variants.emplace(v.backend, std::move(v));
    }
    p.default_backend = get_backend(get_string(j, "default", path), path + ".default");
    if (!p.variants.count(p.default_backend)) bad(path + ".default", "names a variant the platform does not have");
    for (const auto& name_s : get_strings(j, "prefer", path)) {
        const Backend b = get_backend(name_s, path + ".prefer");
        if (!p.variants.count(b)) bad(path + ".prefer", "lists '" + name_s + "', which has no variant");
        if (std::find(p.prefer.begin(), p.prefer.end(), b) != p.prefer.end())
            bad(path + ".prefer", "lists a backend twice");
        p.prefer.push_back(b);
    }
    if (p.prefer.empty()) p.prefer.push_back(p.default_backend);
    if (j.contains("not_built")) {
        const json& nb = j["not_built"];
        if (!nb.is_object()) bad(path + ".not_built", "must be an object of backend: why");
        for (auto it = nb.begin(); it != nb.end(); ++it) {
            const Backend b = get_backend(it.key(), path + ".not_built");
            if (p.variants.count(b)) bad(path + ".not_built." + it.key(), "names a variant the platform has");
            p.not_built.emplace(b, get_string(nb, it.key(), path + ".not_built"));
        }
    }
    return p;
}

}  // namespace

std::string Artifact::file_name() const {
    const auto slash = url.find_last_of('/');
    return slash == std::string::npos ? url : url.substr(slash + 1);
}

const Variant* Platform::find(Backend b) const {
    auto it = variants.find(b);
    return it == variants.end() ? nullptr : &it->second;
}

const Platform* Manifest::platform(std::string_view name) const {
    auto it = platforms.find(std::string(name));
    return it == platforms.end() ? nullptr : &it->second;
}

const Model* Manifest::model(std::string_view name) const {
    for (const auto& m : models) {
        if (m.name == name) return &m;
    }
    return nullptr;
}

const Component* Manifest::component(std::string_view name) const {
    auto it = components.find(std::string(name));
    return it == components.end() ? nullptr : &it->second;
}

bool is_safe_file_name(std::string_view n) {
    if (n.empty() || n.size() > 200 || n[0] == '.') return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-' || c == '+';
    });
}

Manifest parse_manifest(std::string_view text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw ManifestError("manifest: not valid JSON");
    if (!j.is_object()) bad("$", "must be an object");
    Manifest m;
    m.schema_version = static_cast<int>(get_uint(j, "schema_version", "$"));
    if (m.schema_version != kSchemaVersion) {
        bad("$.schema_version",
            "is " + std::to_string(m.schema_version) + "; this tsuku reads " + std::to_string(kSchemaVersion));
    }
    const json& addon = member(j, "addon", "$");
    m.addon_name = get_string(addon, "name", "$.addon");
    m.addon_version = get_string(addon, "version", "$.addon");
    m.llama_cpp = get_string(addon, "llama_cpp", "$.addon");
    if (!is_safe_file_name(m.addon_version)) bad("$.addon.version", "must be usable as a folder name");

    const json& platforms = member(j, "platforms", "$");
    if (!platforms.is_object() || platforms.empty()) bad("$.platforms", "must list at least one platform");
    for (auto it = platforms.begin(); it != platforms.end(); ++it) {
        m.platforms.emplace(it.key(), parse_platform(it.key(), it.value(), "$.platforms." + it.key()));
    }
    if (j.contains("components")) {
        const json& comps = j["components"];
        if (!comps.is_object()) bad("$.components", "must be an object");
        for (auto it = comps.begin(); it != comps.end(); ++it) {
            const std::string path = "$.components." + it.key();
            if (!is_safe_file_name(it.key())) bad(path, "component names must be plain names");
            Component c;
            c.name = it.key();
            c.version = get_string(it.value(), "version", path);
            if (!is_safe_file_name(c.version)) bad(path + ".version", "must be usable as a folder name");
            c.provides = get_strings(it.value(), "provides", path);
            if (c.provides.empty()) bad(path + ".provides", "must name the libraries it provides");
            if (it.value().contains("platforms")) {
                const json& cp = it.value()["platforms"];
                if (!cp.is_object()) bad(path + ".platforms", "must be an object");
                for (auto p = cp.begin(); p != cp.end(); ++p) {
                    const std::string ppath = path + ".platforms." + p.key();
                    ComponentPackage pkg{parse_artifact(p.value(), ppath), {}};
                    pkg.component_json_sha256 = get_string(p.value(), "component_json_sha256", ppath);
                    if (!is_hex64(pkg.component_json_sha256)) {
                        bad(ppath + ".component_json_sha256", "must be 64 lowercase hex digits");
                    }
                    c.platforms.emplace(p.key(), std::move(pkg));
                }
            }
            m.components.emplace(c.name, std::move(c));
        }
    }
    for (const auto& [pname, p] : m.platforms) {
        for (const auto& [b, v] : p.variants) {
            for (const auto& c : v.components) {
                if (!m.components.count(c)) {
                    bad("$.platforms." + pname + ".variants." + std::string(backend_name(b)) + ".components",
                        "names the unknown component '" + c + "'");
                }
            }
        }
    }
    if (j.contains("models")) {
        const json& models = j["models"];
        if (!models.is_array()) bad("$.models", "must be an array");
        for (size_t i = 0; i < models.size(); ++i) {
            const std::string path = "$.models[" + std::to_string(i) + "]";
            Model mo;
            mo.name = get_string(models[i], "name", path);
            if (!is_safe_file_name(mo.name)) bad(path + ".name", "must be usable as a file name");
            if (m.model(mo.name)) bad(path + ".name", "'" + mo.name + "' appears twice");
            mo.artifact = parse_artifact(models[i], path);
            mo.min_vram_bytes = get_uint(models[i], "min_vram_bytes", path, false);
            mo.min_ram_bytes = get_uint(models[i], "min_ram_bytes", path, false);
            mo.synthetic = models[i].value("synthetic", false);
            m.models.push_back(std::move(mo));
        }
    }
    m.default_model = get_string(j, "default_model", "$", false);
    if (!m.default_model.empty() && !m.model(m.default_model)) {
        bad("$.default_model", "names '" + m.default_model + "', which is not in models");
    }
    return m;
}

std::string to_json(const Manifest& m, int indent) {
    json j;
    j["schema_version"] = m.schema_version;
    j["addon"] = {{"name", m.addon_name}, {"version", m.addon_version}, {"llama_cpp", m.llama_cpp}};
    j["platforms"] = json::object();
    for (const auto& [name, p] : m.platforms) {
        json pj;
        pj["default"] = std::string(backend_name(p.default_backend));
        pj["prefer"] = json::array();
        for (auto b : p.prefer) pj["prefer"].push_back(std::string(backend_name(b)));
        pj["variants"] = json::object();
        for (const auto& [b, v] : p.variants) {
            json vj = artifact_json(v.artifact);
            vj["variant_json_sha256"] = v.variant_json_sha256;
            if (!v.components.empty()) vj["components"] = v.components;
            vj["requires"] = requirements_json(v.requirements);
            pj["variants"][std::string(backend_name(b))] = vj;
        }
        for (const auto& [b, why] : p.not_built) pj["not_built"][std::string(backend_name(b))] = why;
        j["platforms"][name] = pj;
    }
    j["components"] = json::object();
    for (const auto& [name, c] : m.components) {
        json cj = {{"version", c.version}, {"provides", c.provides}, {"platforms", json::object()}};
        for (const auto& [pn, a] : c.platforms) {
            cj["platforms"][pn] = artifact_json(a);
            cj["platforms"][pn]["component_json_sha256"] = a.component_json_sha256;
        }
        j["components"][name] = cj;
    }
    j["models"] = json::array();
    for (const auto& mo : m.models) {
        json mj = artifact_json(mo.artifact);
        mj["name"] = mo.name;
        mj["min_vram_bytes"] = mo.min_vram_bytes;
        mj["min_ram_bytes"] = mo.min_ram_bytes;
        if (mo.synthetic) mj["synthetic"] = true;
        j["models"].push_back(mj);
    }
    if (!m.default_model.empty()) j["default_model"] = m.default_model;
    return j.dump(indent);
}

std::string current_platform() {
    utsname u{};
    ::uname(&u);
    std::string os = std::string(u.sysname) == "Darwin" ? "darwin" : "linux";
    std::string arch = u.machine;
    if (arch == "x86_64") arch = "amd64";
    if (arch == "aarch64") arch = "arm64";
    return os + "-" + arch;
}

std::string artifact_url(const Artifact& a, const Environment& env) {
    const auto mirror = env.get_nonempty("TSUKU_LLM_MIRROR");
    if (!mirror) return a.url;
    if (!has_allowed_scheme(*mirror)) {
        throw UserError("TSUKU_LLM_MIRROR='" + *mirror + "' is not an https://, http:// or file:/// URL",
                        "set it to the base URL of a mirror of the release folder, or unset it");
    }
    std::string base = *mirror;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + a.file_name();
}

}  // namespace tsuku::manifest
