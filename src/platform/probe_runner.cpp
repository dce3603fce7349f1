#include "platform/probe_runner.h"

#include <string.h>

#include "platform/isolated_run.h"

namespace tsuku::platform {
namespace {

std::string last_stage(const std::string& err) {
    const auto at = err.rfind(kStageMarker);
    if (at == std::string::npos) return {};
    const auto begin = at + kStageMarker.size();
    const auto end = err.find('\n', begin);
    return err.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The child's own stderr minus our stage markers, last few lines: the driver's words about a crash.
std::string tail_without_markers(const std::string& err) {
    std::string kept;
    size_t i = 0;
    while (i < err.size()) {
        size_t nl = err.find('\n', i);
        if (nl == std::string::npos) nl = err.size();
        const std::string_view line(err.data() + i, nl - i);
        if (!line.starts_with(kStageMarker) && !line.empty()) kept.append(line).push_back('\n');
        i = nl + 1;
    }
    if (kept.size() > 2000) kept = "…" + kept.substr(kept.size() - 2000);
    while (!kept.empty() && kept.back() == '\n') kept.pop_back();
    return kept;
}

std::string where(const std::string& stage) { return stage.empty() ? "" : " in " + stage; }

std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    return "signal " + std::to_string(sig) + (abbrev ? std::string(", SIG") + abbrev : "");
}

}  // namespace

ProbeOutcome outcome_from_child(ProbeKind kind, const IsolatedResult& child) {
    using K = IsolatedResult::Kind;
    const std::string& err = child.err;
    ProbeOutcome o;
    o.kind = kind;
    o.last_stage = last_stage(err);
    o.stderr_tail = tail_without_markers(err);
    const std::string name(probe_kind_name(kind));
    o.elapsed_ms = child.elapsed.count();
    switch (child.kind) {
        case K::timed_out:
            o.status = ProbeOutcome::Status::timed_out;
            o.cause = "the " + name + " probe hung" + where(o.last_stage) + " and was killed at the deadline";
            return o;
        case K::signaled:
            o.status = ProbeOutcome::Status::crashed;
            o.signal = child.signal;
            o.cause = "the " + name + " probe crashed" + where(o.last_stage) + " (" + signal_name(child.signal) + ")";
            return o;
        case K::spawn_failed:
            o.status = ProbeOutcome::Status::spawn_failed;
            o.cause = "the " + name + " probe could not be started: " + child.error;
            return o;
        case K::exited: break;
    }
    const int exit_code = o.exit_code = child.exit_code;
    const auto j = nlohmann::json::parse(child.out, nullptr, /*allow_exceptions=*/false);
    if (exit_code != 0 || !j.is_object()) {
        o.status = exit_code != 0 ? ProbeOutcome::Status::failed : ProbeOutcome::Status::bad_output;
        o.cause = "the " + name + " probe exited with status " + std::to_string(exit_code) + where(o.last_stage) +
                  (j.is_object() ? "" : " without a result");
        return o;
    }
    try {
        if (kind == ProbeKind::vulkan) o.vulkan = j.get<VulkanProbeResult>();
        if (kind == ProbeKind::cuda) o.cuda = j.get<CudaProbeResult>();
    } catch (const nlohmann::json::exception& e) {
        o.status = ProbeOutcome::Status::bad_output;
        o.cause = "the " + name + " probe printed an unreadable result: " + e.what();
        return o;
    }
    o.status = ProbeOutcome::Status::completed;
    o.last_stage.clear();
    return o;
}

std::vector<ProbeOutcome> run_probes(const ProbeConfig& config, const std::vector<ProbeRequest>& requests) {
    std::vector<IsolatedCommand> commands;
    for (const auto& r : requests) {
        IsolatedCommand c;
        c.argv = config.command;
        c.argv.emplace_back(probe_kind_name(r.kind));
        if (r.library) {
            c.argv.emplace_back("--library");
            c.argv.push_back(*r.library);
        }
        c.env = config.env;
        commands.push_back(std::move(c));
    }
    const auto results = run_isolated(commands, config.timeout);
    std::vector<ProbeOutcome> out;
    for (size_t i = 0; i < results.size(); ++i) {
        ProbeOutcome o = outcome_from_child(requests[i].kind, results[i]);
        if (results[i].kind == IsolatedResult::Kind::timed_out) {
            o.cause += " (" + std::to_string(config.timeout.count()) + " ms)";
        }
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace tsuku::platform
