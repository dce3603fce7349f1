// The detection cache, $TSUKU_HOME/state/detection.json: the probes' outcomes (the only costly part of
// detection) under the fingerprint of the static evidence and the tsuku version. Static evidence is re-read on
// every run (it is what the fingerprint is made of), so a warm detect is those reads plus this one file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "platform/probe_results.h"

namespace tsuku::platform {

struct CachedProbes {
    std::string fingerprint;
    std::string tsuku_version;
    ProbeOutcome vulkan;
    ProbeOutcome cuda;
};

// nullopt when the file is missing, unreadable or not a cache this version wrote (never an error: a bad cache
// is a miss, and the next write replaces it).
std::optional<CachedProbes> read_detection_cache(const std::filesystem::path& file);
// Atomic (temporary file + rename). Throws UserError when it cannot be written.
void write_detection_cache(const std::filesystem::path& file, const CachedProbes& probes);

}  // namespace tsuku::platform
