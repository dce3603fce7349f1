#include "cli/bench_variant.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>

#include "client/llm_client.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/serve_command.h"
#include "lifecycle/server_manager.h"
#include "lifecycle/server_process.h"
#include "lifecycle/supervisor.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using namespace std::chrono_literals;

namespace tsuku::cli {
namespace {

// A private folder for the socket, removed with it. Under /tmp: a long $TSUKU_HOME could exceed a socket path.
class PrivateTempDir {
public:
    PrivateTempDir() {
        std::string tmpl = (fs::temp_directory_path() / "tsuku-bench.XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) {
            throw UserError("cannot create a temporary folder: " + errno_text(errno), "check that /tmp is writable");
        }
        path_ = tmpl;
    }
    ~PrivateTempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    PrivateTempDir(const PrivateTempDir&) = delete;
    PrivateTempDir& operator=(const PrivateTempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Ordinary words, the same for every variant and run.
std::string prompt_text(int words) {
    static const char* const kWords[] = {"the",   "river", "carried", "old",  "boats", "past",  "quiet",
                                         "towns", "where", "people",  "sold", "bread", "and",   "wool",
                                         "every", "week",  "before",  "the",  "long",  "winter"};
    std::string text = "Summarise this passage:";
    for (int i = 0; i < words; ++i) text += std::string(" ") + kWords[i % std::size(kWords)];
    return text;
}

v1::CompletionRequest request_for(int run, const BenchWorkload& w) {
    v1::CompletionRequest req;
    // The server reuses the prefix shared with the previous request: a system prompt that differs from its first
    // token on leaves only the template's opening (a few tokens) shared, so every run evaluates its prompt.
    req.set_system_prompt(std::to_string(run) + ". You are a benchmark; answer at length.");
    req.set_max_tokens(w.gen_tokens);
    auto* m = req.add_messages();
    m->set_role(v1::ROLE_USER);
    m->set_content(prompt_text(w.prompt_words));
    return req;
}

// Classified as the supervisor classifies a start (exit 78, a crash, a timeout); any other exit is the server's own.
VariantResult start_failure(VariantResult r, const lifecycle::StartOutcome& o, const fs::path& log) {
    r.startup = o.elapsed;
    if (const auto a = lifecycle::classify_start_failure(r.backend, o)) {
        const bool unavailable = a->result == lifecycle::AttemptResult::backend_unavailable;
        r.status = unavailable ? VariantResult::Status::unavailable : VariantResult::Status::failed;
        r.reason = std::string(reason_code(a->reason));
        r.detail = unavailable ? a->detail : a->detail + "; see " + log.string();
        return r;
    }
    r.status = VariantResult::Status::failed;
    r.reason = "exit " + std::to_string(o.exit_code);
    r.detail = "see " + log.string();
    return r;
}

}  // namespace

Spread spread_of(std::vector<double> values) {
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.front(), values.back()};
}

const char* status_name(VariantResult::Status s) {
    switch (s) {
        case VariantResult::Status::ok: return "ok";
        case VariantResult::Status::unavailable: return "unavailable";
        case VariantResult::Status::failed: return "failed";
    }
    return "?";
}

VariantResult measure_variant(const VariantLaunch& launch, const BenchWorkload& w) {
    VariantResult r;
    r.backend = launch.backend;
    PrivateTempDir dir;
    const fs::path socket = dir.path() / "llm.sock";
    lifecycle::LaunchSpec spec;
    spec.executable = launch.executable;
    spec.log_file = launch.log_file;
    spec.env = launch.env;
    spec.args =
        serve_arguments({socket, launch.model, lifecycle::kNotifyFd, std::chrono::milliseconds(0), w.threads, {}});
    std::error_code ec;
    fs::remove(launch.log_file, ec);

    auto process = lifecycle::ServerProcess::spawn(spec);
    const auto outcome = process.wait_for_start(launch.start_timeout);
    if (outcome.kind != lifecycle::StartOutcome::Kind::ready) {
        process.kill_and_reap();
        return start_failure(std::move(r), outcome, launch.log_file);
    }
    r.startup = outcome.elapsed;
    try {
        client::LlmClient client(socket);
        const auto status = client.status(30s);
        for (const auto& d : status.devices()) r.devices.push_back(d.description());
        int run = 0;
        for (int i = 0; i < w.warmups; ++i) client.complete(request_for(++run, w), 30min);
        std::vector<double> pp, tg, wall, prompt_tokens, gen_tokens;
        for (int i = 0; i < w.runs; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            const auto resp = client.complete(request_for(++run, w), 30min);
            wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            const auto& t = resp.timing();
            if (t.prompt_ms() > 0) pp.push_back(resp.usage().input_tokens() / (t.prompt_ms() / 1000));
            if (t.generation_ms() > 0) tg.push_back(resp.usage().output_tokens() / (t.generation_ms() / 1000));
            prompt_tokens.push_back(resp.usage().input_tokens());
            gen_tokens.push_back(resp.usage().output_tokens());
        }
        r.prompt_tps = spread_of(pp);
        r.gen_tps = spread_of(tg);
        r.request_ms = spread_of(wall);
        r.prompt_tokens = static_cast<int>(spread_of(prompt_tokens).median);
        r.gen_tokens = static_cast<int>(spread_of(gen_tokens).median);
        r.status = VariantResult::Status::ok;
        client.shutdown(true, 5s);
    } catch (const UserError& e) {
        r.status = VariantResult::Status::failed;
        r.reason = "request_failed";
        r.detail = std::string(e.what()) + " (see " + launch.log_file.string() + ")";
    }
    if (!lifecycle::wait_for_exit(process.pid(), 10s)) ::kill(process.pid(), SIGTERM);
    lifecycle::wait_for_exit(process.pid(), 5s);
    process.kill_and_reap();
    return r;
}

}  // namespace tsuku::cli
