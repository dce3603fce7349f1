// The platform's policy for detection comes from the embedded manifest (prefer, default, requirements).
#pragma once

#include "manifest/manifest.h"
#include "platform/requirements.h"

namespace tsuku::resolve {

platform::PlatformPolicy policy_from_manifest(const manifest::Manifest& m, const manifest::Platform& p);

// The embedded manifest's entry for this machine's platform; UserError "not supported: here is what is" otherwise.
const manifest::Platform& this_platform(const manifest::Manifest& m);

}  // namespace tsuku::resolve
