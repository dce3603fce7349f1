// tsuku llm bench [--backend B…] [--model M] [--json] [--select] [--runs N] [--prompt-words N] [--gen-tokens N]
//                 [--threads N] [--forget] [-y]
// Prompt-processing and generation tokens/s of every viable variant (or the named ones) on the same model, prompt
// and token counts: each variant is installed and verified like a start would, then measured on its own private
// server (cli/bench_variant.h). --select records the fastest for this hardware fingerprint; the chain then puts it
// first (resolve/measured_choice.h) until the hardware changes.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/bench_variant.h"
#include "cli/commands.h"
#include "cli/server_start.h"
#include "common/error.h"
#include "install/model_store.h"
#include "manifest/manifest.h"
#include "resolve/measured_choice.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::cli {
namespace {

struct BenchOptions {
    std::vector<std::string> backends;
    std::string model;
    bool json = false;
    bool select = false;
    bool forget = false;
    bool yes = false;
    BenchWorkload workload;
};

double load_average() {
    double l = -1;
    std::ifstream("/proc/loadavg") >> l;
    return l;
}

// A backend detection rejects only because its device is a software one, with the permission to use those.
bool software_only(const platform::BackendVerdict& v) {
    return !v.viable && !v.reasons.empty() && std::all_of(v.reasons.begin(), v.reasons.end(), [](const auto& r) {
        return r.reason == Reason::software_device_only;
    });
}

// The named backends, or every viable one in the platform's order (a software device counts when allowed).
std::vector<Backend> candidates(const BenchOptions& o, const manifest::Platform& p,
                                const platform::DetectionReport& report, bool software_allowed) {
    std::vector<Backend> out;
    auto add = [&](Backend b) {
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    };
    for (const auto& name : o.backends) {
        const auto b = parse_backend(name);
        if (!b || !p.find(*b)) {
            throw UserError("this release has no " + name + " variant for this platform",
                            "choose among: tsuku llm manifest", ExitCode::usage);
        }
        add(*b);
    }
    if (!out.empty()) return out;
    std::vector<Backend> order = p.prefer;
    order.push_back(p.default_backend);
    for (Backend b : order) {
        const auto* v = report.verdict(b);
        if (b == Backend::cpu || (v && (v->viable || (software_allowed && software_only(*v))))) add(b);
    }
    return out;
}

// The same model for every variant: the chosen one (--model, llm.model, or auto per backend); when auto picks
// different models for different backends, the smallest, which fits them all.
resolve::ModelChoice common_model(const Context& ctx, const config::Config& cfg, const std::vector<Backend>& bs,
                                  const platform::DetectionReport& report, const std::optional<std::string>& model) {
    std::optional<resolve::ModelChoice> pick;
    for (Backend b : bs) {
        auto c = model_for(ctx, cfg, b, report, model);
        auto size = [](const resolve::ModelChoice& m) { return m.model ? m.model->artifact.size : 0; };
        if (!pick || (c.model && pick->model && size(c) < size(*pick))) pick = std::move(c);
    }
    return *pick;
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string rate(const Spread& s) {
    return fmt("%.1f", s.median) + " (" + fmt("%.1f", s.min) + "-" + fmt("%.1f", s.max) + ")";
}

void print_table(std::ostream& out, const std::vector<VariantResult>& results) {
    char line[512];
    std::snprintf(line, sizeof line, "%-7s %-34s %9s %26s %26s\n", "backend", "device", "start",
                  "prompt tok/s (min-max)", "gen tok/s (min-max)");
    out << line;
    for (const auto& r : results) {
        const std::string name(backend_name(r.backend));
        if (r.status != VariantResult::Status::ok) {
            out << name << std::string(name.size() < 8 ? 8 - name.size() : 1, ' ')
                << (r.status == VariantResult::Status::unavailable ? "cannot run here: " : "failed: ") << r.reason
                << ": " << r.detail << "\n";
            continue;
        }
        std::string device = r.devices.empty() ? "-" : r.devices.front();
        if (device.size() > 34) device = device.substr(0, 31) + "...";
        std::snprintf(line, sizeof line, "%-7s %-34s %6lld ms %26s %26s\n", name.c_str(), device.c_str(),
                      static_cast<long long>(r.startup.count()), rate(r.prompt_tps).c_str(), rate(r.gen_tps).c_str());
        out << line;
    }
}

json spread_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

json result_json(const VariantResult& r) {
    json j = {{"backend", std::string(backend_name(r.backend))}, {"status", status_name(r.status)}};
    if (r.status != VariantResult::Status::ok) {
        j["reason"] = r.reason;
        j["detail"] = r.detail;
        j["startup_ms"] = r.startup.count();
        return j;
    }
    j["devices"] = r.devices;
    j["startup_ms"] = r.startup.count();
    j["prompt_tokens"] = r.prompt_tokens;
    j["gen_tokens"] = r.gen_tokens;
    j["prompt_tps"] = spread_json(r.prompt_tps);
    j["gen_tps"] = spread_json(r.gen_tps);
    j["request_ms"] = spread_json(r.request_ms);
    return j;
}

// What one bench run found: the results per variant and, with --select, the chain that follows.
struct BenchOutcome {
    fs::path model;
    std::vector<VariantResult> results;
    std::vector<resolve::Measurement> measurements;
    resolve::Workload workload;
    std::optional<resolve::Measurement> best;
    std::optional<std::vector<Backend>> new_chain;  // with --select
};

// The model every variant is measured on: installed and verified (a manifest model) or an existing file.
fs::path prepare_model(Context& ctx, const config::Config& cfg, const BenchOptions& o,
                       const std::vector<Backend>& backends, const platform::DetectionReport& report,
                       install::Progress& progress, const install::Consent& consent) {
    const Home home = ctx.home();
    const auto model =
        common_model(ctx, cfg, backends, report, o.model.empty() ? std::nullopt : std::optional(o.model));
    if (model.model) {
        install::ensure_model(home, *model.model, ctx.env, progress, consent);
        install::verify_model(home, *model.model, progress);
    } else if (!fs::is_regular_file(model.path)) {
        throw UserError("the model file " + model.path.string() + " does not exist", "pass the path of a .gguf file");
    }
    return model.path;
}

// Installs (with consent) and measures each variant in turn, on private sockets.
std::vector<VariantResult> measure_all(Context& ctx, const config::Config& cfg, const BenchOptions& o,
                                       const std::vector<Backend>& backends, const fs::path& model,
                                       const platform::DetectionReport& report, install::Progress& progress,
                                       const install::Consent& consent) {
    const Home home = ctx.home();
    std::vector<VariantResult> results;
    for (Backend b : backends) {
        VariantLaunch launch;
        launch.backend = b;
        launch.model = model;
        launch.log_file = home.logs_dir() / ("bench-" + std::string(backend_name(b)) + ".log");
        launch.start_timeout = cfg.start_timeout();
        const auto variant = prepare_variant(ctx, report, b, progress, consent);
        launch.executable = variant.executable;
        launch.env = variant.env;
        ctx.err << "tsuku: measuring " << backend_name(b) << " ...\n";
        results.push_back(measure_variant(launch, o.workload));
    }
    return results;
}

// --select: the fastest variant is saved for this hardware, and the chain it gives is returned.
std::vector<Backend> select_fastest(Context& ctx, const BenchOutcome& b, const platform::DetectionReport& report,
                                    bool software_allowed) {
    if (!b.best) {
        throw UserError("no variant could be measured, so there is nothing to select",
                        "see the reasons above; tsuku llm detect shows what each backend needs");
    }
    resolve::MeasuredChoice c;
    c.fingerprint = report.fingerprint;
    c.backend = b.best->backend;
    const auto* v = report.verdict(b.best->backend);
    c.needs_software_devices = software_allowed && v && !v->viable && b.best->backend != Backend::cpu;
    c.model = b.model.filename().string();
    c.workload = b.workload;
    c.unix_time = static_cast<int64_t>(std::time(nullptr));
    c.measurements = b.measurements;
    const auto choice_file = ctx.home().measured_choice_path();
    resolve::save_measured_choice(choice_file, c);
    auto after = report;
    resolve::apply_measured_choice(after, choice_file, ctx.env);
    return after.chain;
}

json outcome_json(const BenchOutcome& b, const BenchOptions& o, const platform::DetectionReport& report,
                  bool software_allowed) {
    json j = {{"fingerprint", report.fingerprint},
              {"model", b.model.string()},
              {"prompt_words", o.workload.prompt_words},
              {"gen_tokens", o.workload.gen_tokens},
              {"runs", o.workload.runs},
              {"warmups", o.workload.warmups},
              {"threads", o.workload.threads},
              {"load", load_average()},
              {"software_devices_allowed", software_allowed},
              {"variants", json::array()}};
    for (const auto& r : b.results) j["variants"].push_back(result_json(r));
    j["fastest"] = b.best ? json(std::string(backend_name(b.best->backend))) : json(nullptr);
    j["selected"] = o.select;
    if (b.new_chain) {
        j["chain"] = json::array();
        for (Backend c : *b.new_chain) j["chain"].push_back(std::string(backend_name(c)));
    }
    return j;
}

void print_outcome(std::ostream& out, const BenchOutcome& b, const BenchOptions& o) {
    const auto& first = b.results.front();
    out << "model " << b.model.filename().string() << ": " << first.prompt_tokens << " prompt tokens, "
        << o.workload.gen_tokens << " generated; median of " << o.workload.runs << " run(s) after "
        << o.workload.warmups << " warm-up; rates timed by the server (no IPC)\n";
    print_table(out, b.results);
    if (b.best) out << "fastest: " << backend_name(b.best->backend) << "\n";
    if (b.new_chain) {
        out << "selected for this hardware; chain now:";
        for (size_t i = 0; i < b.new_chain->size(); ++i) out << (i ? " -> " : " ") << backend_name((*b.new_chain)[i]);
        out << "  (undo: tsuku llm bench --forget)\n";
    }
}

void run(Context& ctx, const BenchOptions& o) {
    const Home home = ctx.home();
    if (o.forget) {
        resolve::forget_measured_choice(home.measured_choice_path());
        ctx.err << "tsuku: forgot the measured choice; the chain follows the release's order again\n";
        return;
    }
    const config::Config cfg = ctx.config();
    const auto report = run_detection(ctx, cfg);
    const bool software_allowed = software_devices_allowed(ctx.env);
    const auto backends =
        candidates(o, resolve::this_platform(manifest::embedded_manifest()), report, software_allowed);
    const auto progress = install::make_progress(ctx.err, ::isatty(STDERR_FILENO) == 1);
    const auto consent = make_consent(ctx, cfg, o.yes);

    BenchOutcome b;
    b.model = prepare_model(ctx, cfg, o, backends, report, *progress, consent);
    home.ensure_runtime_dirs();
    ctx.err << "tsuku: benchmarking " << backends.size() << " variant(s) on " << b.model.filename().string() << ": "
            << o.workload.runs << " run(s) after " << o.workload.warmups << " warm-up (load "
            << fmt("%.2f", load_average()) << ")\n";
    b.results = measure_all(ctx, cfg, o, backends, b.model, report, *progress, consent);
    for (const auto& r : b.results) {
        if (r.status == VariantResult::Status::ok)
            b.measurements.push_back({r.backend, r.prompt_tps.median, r.gen_tps.median});
    }
    b.workload = {b.results.empty() ? 0 : std::max(1, b.results.front().prompt_tokens), o.workload.gen_tokens};
    b.best = resolve::fastest(b.measurements, b.workload);
    if (o.select) b.new_chain = select_fastest(ctx, b, report, software_allowed);

    if (o.json) {
        ctx.out << outcome_json(b, o, report, software_allowed).dump(2, ' ', false, json::error_handler_t::replace)
                << "\n";
        return;
    }
    print_outcome(ctx.out, b, o);
}

}  // namespace

void add_llm_bench(CLI::App& llm, Context& ctx) {
    auto o = std::make_shared<BenchOptions>();
    auto* cmd =
        llm.add_subcommand("bench", "measure tokens/s of each backend variant here; --select keeps the fastest");
    cmd->add_option("--backend", o->backends,
                    "measure this variant (repeat for several); default: every viable one. With vulkan, "
                    "TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 admits a software device");
    cmd->add_option("--model", o->model, "a model name (tsuku llm manifest) or a .gguf path; default: llm.model");
    cmd->add_flag("--json", o->json, "machine-readable output");
    cmd->add_flag("--select", o->select, "start the fastest variant first on this hardware from now on");
    cmd->add_flag("--forget", o->forget, "forget the selected variant (the release's order applies again)");
    cmd->add_option("--runs", o->workload.runs, "measured requests per variant")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->add_option("--warmups", o->workload.warmups, "unmeasured requests first")
        ->check(CLI::Range(0, 10))
        ->capture_default_str();
    cmd->add_option("--prompt-words", o->workload.prompt_words, "words in the prompt")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--gen-tokens", o->workload.gen_tokens, "tokens to generate per request")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--threads", o->workload.threads, "CPU threads of each server (0: every core)")
        ->check(CLI::Range(0, 1024));
    cmd->add_flag("-y,--yes", o->yes, "download a missing variant or model without asking");
    cmd->callback([&ctx, o] { run(ctx, *o); });
}

}  // namespace tsuku::cli
