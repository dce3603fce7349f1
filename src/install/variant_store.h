// Installed variants: tools/tsuku-llm/<version>/<backend>/ (docs/design.md §4.5). A variant is verified before every
// launch: its variant.json must have the checksum compiled into tsuku, and every file it lists must have the
// checksum variant.json gives; an unlisted library (which ggml would load) is refused too. A mismatch is an error
// that offers a reinstall, never a launch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/environment.h"
#include "common/home.h"
#include "install/locations.h"
#include "install/progress.h"
#include "manifest/manifest.h"

namespace tsuku::install {

// Asks before downloading `what` (`bytes` from `url`); false refuses. Local (file://) sources need no consent.
using Consent = std::function<bool(const std::string& what, uint64_t bytes, const std::string& url)>;

struct InstalledVariant {
    Backend backend = Backend::cpu;
    std::filesystem::path dir;
    std::filesystem::path executable;                      // dir/tsuku-llm
    std::vector<std::pair<std::string, std::string>> env;  // for the launch (e.g. a component's LD_LIBRARY_PATH)
    bool installed_now = false;
    // Where each component it needs comes from: "cuda-runtime-13 13.0: the package in …", "…: the system's (…)".
    std::vector<std::string> runtime;
};

class VerifiedFiles;

// Throws UserError naming the file that does not match and the fix (tsuku llm install --backend B --reinstall).
// A file `verified` remembers unchanged is not hashed again (state/verified-files.json).
void verify_variant(const std::filesystem::path& dir, const manifest::Variant& v, VerifiedFiles* verified = nullptr);

// The same for an installed component (component.json, checksum from the manifest), which also must list every
// library it provides. The fix offered reinstalls the variant `for_backend` with its components.
void verify_component(const std::filesystem::path& dir, const manifest::Component& c,
                      const manifest::ComponentPackage& package, Backend for_backend,
                      VerifiedFiles* verified = nullptr);

struct EnsureOptions {
    Consent consent;         // asked before network downloads
    bool reinstall = false;  // install again even when present (the variant and its components)
    // Where the system has a soname (detection), so a component whose libraries are all there is not downloaded.
    std::function<std::optional<std::string>(const std::string& soname)> system_library;
};

// The variant of `backend`, installed (download, verify, extract, swap in) when missing, and verified.
InstalledVariant ensure_variant(const Home& home, const manifest::Manifest& m, const manifest::Platform& p,
                                Backend backend, const Environment& env, Progress& progress,
                                const EnsureOptions& options);

// Removes installed variants: `backend` of this version, or (prune) every version but `keep_version`.
// Returns the folders removed. Takes the install lock.
std::vector<std::filesystem::path> uninstall_variant(const Home& home, const manifest::Manifest& m, Backend backend);
std::vector<std::filesystem::path> prune_other_versions(const Home& home, const std::string& keep_version);

}  // namespace tsuku::install
