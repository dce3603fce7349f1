#include "common/error.h"
#include "manifest/manifest.h"

// Generated at build time by tools/release (make-release) from the real release artefacts.
extern const char kTsukuEmbeddedManifestJson[];

namespace tsuku::manifest {

std::string_view embedded_manifest_json() { return kTsukuEmbeddedManifestJson; }

const Manifest& embedded_manifest() {
    // Validated when it was generated, so a failure here is a build bug, not a user error.
    static const Manifest m = parse_manifest(embedded_manifest_json());
    return m;
}

}  // namespace tsuku::manifest
