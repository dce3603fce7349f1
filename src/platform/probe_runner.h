// Runs the functional probes isolated: each in a child (by default `tsuku __probe <kind>`), all at once, under
// one hard deadline (default 5 s). A probe that hangs, crashes or prints nonsense becomes an outcome with its
// cause; it never takes detection down with it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/isolated_run.h"
#include "platform/probe_results.h"

namespace tsuku::platform {

inline constexpr std::chrono::milliseconds kDefaultProbeTimeout{5000};
// Written by a probe child to stderr before each step: "tsuku-probe: stage vkCreateInstance".
inline constexpr std::string_view kStageMarker = "tsuku-probe: stage ";

struct ProbeConfig {
    // The probe program and its leading arguments; run as: command… <kind> [--library PATH].
    std::vector<std::string> command;
    std::chrono::milliseconds timeout = kDefaultProbeTimeout;
    std::vector<std::pair<std::string, std::string>> env;  // added to the child's environment
};

struct ProbeRequest {
    ProbeKind kind;
    std::optional<std::string> library;  // absolute path to load instead of the soname (a folder the loader skips)
};

// One outcome per request, in order.
std::vector<ProbeOutcome> run_probes(const ProbeConfig& config, const std::vector<ProbeRequest>& requests);

// Turns what a probe child did into its outcome (exposed for tests).
ProbeOutcome outcome_from_child(ProbeKind kind, const IsolatedResult& child);

}  // namespace tsuku::platform
