#include "install/variant_store.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/byte_size.h"
#include "common/error.h"
#include "common/text.h"
#include "install/install_lock.h"
#include "install/package.h"
#include "install/sha256.h"
#include "install/verified_files.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::install {
namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string reinstall_fix(Backend b) {
    return "reinstall it: tsuku llm install --backend " + std::string(backend_name(b)) + " --reinstall";
}

// What a verified tree is: its list (variant.json or component.json: {"files":[{"path","sha256","size"}…]}, paths
// plain names inside the folder) must have the checksum compiled into tsuku, and the folder must hold exactly the
// listed files with their checksums.
struct ListedTree {
    std::string what;  // "the installed cuda variant", "the installed component cuda-runtime-13"
    std::string list_name;
    std::string list_sha256;
    std::string fix;
};

std::vector<std::pair<std::string, std::string>> listed_files(const std::string& text, const fs::path& where,
                                                              const ListedTree& t) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) {
        throw UserError(where.string() + " is not a valid " + t.list_name, t.fix);
    }
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& f : j["files"]) {
        const std::string path = f.is_object() ? f.value("path", "") : "";
        const std::string sha = f.is_object() ? f.value("sha256", "") : "";
        if (!manifest::is_safe_file_name(path) || !is_sha256_hex(sha)) {
            throw UserError(where.string() + " lists an invalid entry '" + path + "'", t.fix);
        }
        files.emplace_back(path, sha);
    }
    return files;
}

// Returns the listed file names. Throws UserError naming the first file that is missing, changed or unlisted.
// A file `verified` remembers (same identity, same sha256) is not hashed again.
std::set<std::string> verify_tree(const fs::path& dir, const ListedTree& t, VerifiedFiles* verified) {
    const fs::path list = dir / t.list_name;
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(list, ec))) {
        throw UserError(t.what + " is incomplete: " + list.string() + " is missing", t.fix);
    }
    const std::string text = read_file(list);
    if (text.empty() || sha256_hex(text) != t.list_sha256) {
        throw UserError(t.what + " does not match this tsuku: " + list.string() +
                            " has the wrong checksum (tampered with, or from another release)",
                        t.fix);
    }
    std::set<std::string> listed{t.list_name};
    for (const auto& [path, sha] : listed_files(text, list, t)) {
        listed.insert(path);
        const fs::path f = dir / path;
        if (!fs::is_regular_file(fs::symlink_status(f, ec))) throw UserError(t.what + " lacks " + f.string(), t.fix);
        if (verified && verified->known(f, sha)) continue;
        if (sha256_file(f) != sha) {
            throw UserError(f.string() + " was modified after installation (its sha256 differs from " + t.list_name +
                                "), or it was not written completely",
                            t.fix);
        }
        if (verified) verified->remember(f, sha);
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!listed.count(e.path().filename().string())) {
            throw UserError(t.what + " contains " + e.path().string() + ", which it does not list (it could be loaded)",
                            t.fix);
        }
    }
    if (verified) verified->save();
    return listed;
}

// A component the variant needs and where it comes from: the system (every library it provides is there), the
// release's package (installed once into components/<name>/<version>/), or nowhere (the variant's own start-up
// check then names what is missing, exit 78; detection has already said so).
struct ComponentPlan {
    const manifest::Component* component = nullptr;
    const manifest::ComponentPackage* package = nullptr;  // null: on the system, or no package for this platform
    std::string system_copy;                              // the first library's path on the system
    fs::path dir;
    bool download = false;
};

std::vector<ComponentPlan> plan_components(const Home& home, const manifest::Manifest& m, const manifest::Variant& v,
                                           const EnsureOptions& o) {
    std::vector<ComponentPlan> plans;
    for (const auto& name : v.components) {
        ComponentPlan p;
        p.component = m.component(name);
        if (!p.component) continue;
        bool on_system = static_cast<bool>(o.system_library);
        for (const auto& so : p.component->provides) {
            const auto path = on_system ? o.system_library(so) : std::nullopt;
            on_system = on_system && path.has_value();
            if (path && p.system_copy.empty()) p.system_copy = *path;
        }
        if (!on_system) {
            p.system_copy.clear();
            const auto it = p.component->platforms.find(manifest::current_platform());
            if (it != p.component->platforms.end()) {
                p.package = &it->second;
                p.dir = home.components_dir() / p.component->name / p.component->version;
                p.download = o.reinstall || !fs::exists(p.dir / "component.json");
            }
        }
        plans.push_back(p);
    }
    return plans;
}

void install_components(const Home& home, const std::vector<ComponentPlan>& plans, const manifest::Variant& v,
                        const Environment& env, Progress& progress, const EnsureOptions& o, InstalledVariant& out) {
    VerifiedFiles verified(home.verified_files_path());
    std::string library_path;
    for (const auto& p : plans) {
        const auto& c = *p.component;
        if (!p.system_copy.empty()) {
            out.runtime.push_back(c.name + ": the system's (" + p.system_copy + ")");
            continue;
        }
        if (!p.package) {
            out.runtime.push_back(c.name + ": not on this system, and this release has no package of it");
            continue;
        }
        // A copy that is there is used only once verified: a partial or changed one is never put on the path.
        if (p.download) {
            const auto lock = InstallLock::acquire(home, [&](std::optional<pid_t> pid) {
                progress.step("waiting for another installer" + (pid ? " (pid " + std::to_string(*pid) + ")" : ""));
            });
            if (o.reinstall || !fs::exists(p.dir / "component.json")) {
                InstallOptions io;
                io.check = [&](const fs::path& staging) { verify_component(staging, c, *p.package, v.backend); };
                install_package(lock, home,
                                {manifest::artifact_url(*p.package, env), p.package->size, p.package->sha256}, p.dir,
                                progress, io);
            }
        }
        verify_component(p.dir, c, *p.package, v.backend, &verified);
        out.runtime.push_back(c.name + " " + c.version + ": the package in " + p.dir.string());
        append_listed(library_path, ":", p.dir.string());
    }
    if (!library_path.empty()) {
        const auto existing = env.get_nonempty("LD_LIBRARY_PATH");
        out.env.emplace_back("LD_LIBRARY_PATH", library_path + (existing ? ":" + *existing : ""));
    }
}

}  // namespace

void verify_variant(const fs::path& dir, const manifest::Variant& v, VerifiedFiles* verified) {
    verify_tree(dir,
                {"the installed " + std::string(backend_name(v.backend)) + " variant", "variant.json",
                 v.variant_json_sha256, reinstall_fix(v.backend)},
                verified);
}

void verify_component(const fs::path& dir, const manifest::Component& c, const manifest::ComponentPackage& pkg,
                      Backend for_backend, VerifiedFiles* verified) {
    const auto listed = verify_tree(
        dir,
        {"the installed component " + c.name, "component.json", pkg.component_json_sha256, reinstall_fix(for_backend)},
        verified);
    for (const auto& so : c.provides) {
        if (!listed.count(so)) {
            throw UserError("the installed component " + c.name + " does not list " + so + ", which it must provide",
                            reinstall_fix(for_backend));
        }
    }
}

InstalledVariant ensure_variant(const Home& home, const manifest::Manifest& m, const manifest::Platform& p,
                                Backend backend, const Environment& env, Progress& progress, const EnsureOptions& o) {
    const auto* v = p.find(backend);
    if (!v) {
        throw UserError("this release has no " + std::string(backend_name(backend)) + " variant for " + p.name,
                        "see tsuku llm manifest for the variants there are");
    }
    InstalledVariant out;
    out.backend = backend;
    out.dir = variant_dir(home, m, backend);
    out.executable = out.dir / "tsuku-llm";
    const std::string name(backend_name(backend));
    const bool install_variant = o.reinstall || !variant_installed(home, m, backend);
    const auto components = plan_components(home, m, *v, o);

    // One question for everything this start downloads: the variant and the components it needs, in all.
    const std::string variant_url = manifest::artifact_url(v->artifact, env);
    std::string what;
    uint64_t bytes = 0;
    bool network = false;
    if (install_variant) {
        what = "the " + name + " variant";
        bytes += v->artifact.size;
        network = network || needs_network(variant_url);
    }
    for (const auto& p : components) {
        if (!p.download) continue;
        append_listed(what, " and ", std::string("the ") + p.component->name + " component");
        bytes += p.package->size;
        network = network || needs_network(manifest::artifact_url(*p.package, env));
    }
    if (network && !(o.consent && o.consent(what, bytes, variant_url))) {
        throw UserError("the " + name + " backend needs " + what + " (" + format_mib_rounded(bytes) +
                            " download from " + variant_url + ")",
                        "run tsuku llm install --backend " + name +
                            " --yes, or allow downloads: tsuku config set llm.allow_downloads true");
    }

    if (install_variant) {
        const auto lock = InstallLock::acquire(home, [&](std::optional<pid_t> pid) {
            progress.step("waiting for another installer to finish" +
                          (pid ? " (pid " + std::to_string(*pid) + ")" : ""));
        });
        // Another installer may have finished while we waited.
        if (o.reinstall || !variant_installed(home, m, backend)) {
            InstallOptions io;
            io.check = [v](const fs::path& staging) { verify_variant(staging, *v); };
            install_package(lock, home, {variant_url, v->artifact.size, v->artifact.sha256}, out.dir, progress, io);
            out.installed_now = true;
            progress.step("installed the " + name + " variant in " + out.dir.string());
        }
    }
    if (!out.installed_now) {
        // What a killed install left (hundreds of MB) goes at the next install, even one with nothing to do; only
        // when no installer runs now, so a launch never waits here.
        if (const auto lock = InstallLock::try_acquire(home)) clean_stale_staging(*lock, home);
    }
    VerifiedFiles verified(home.verified_files_path());
    verify_variant(out.dir, *v, &verified);
    install_components(home, components, *v, env, progress, o, out);
    return out;
}

std::vector<fs::path> uninstall_variant(const Home& home, const manifest::Manifest& m, Backend backend) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    clean_stale_staging(lock, home);
    const fs::path dir = variant_dir(home, m, backend);
    if (fs::exists(dir)) {
        fs::remove_all(dir);
        removed.push_back(dir);
    }
    return removed;
}

std::vector<fs::path> prune_other_versions(const Home& home, const std::string& keep_version) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    clean_stale_staging(lock, home);
    if (!fs::exists(home.tools_dir())) return removed;
    for (const auto& e : fs::directory_iterator(home.tools_dir())) {
        if (e.is_directory() && e.path().filename() != keep_version) {
            fs::remove_all(e.path());
            removed.push_back(e.path());
        }
    }
    return removed;
}

}  // namespace tsuku::install
