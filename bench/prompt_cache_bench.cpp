// prompt-cache-bench: time to first token of a new server whose prompt cache holds the request's prefix, against a
// cold start without it, in the same run (issue 21). Each run: a server with an empty cache folder answers a
// request (system prompt of about --system-words words, max_tokens 1: the time to the first token) and stops,
// saving the prefix's state; a new server on the same folder answers the same system prompt with another question.
// Server start-up is not counted (both servers pay it alike). Medians of --runs. Prints one JSON line.
//
//   prompt-cache-bench --server build/variants/cpu/tsuku-llm --model M.gguf [--system-words 1950] [--runs 3]
#include <CLI/CLI.hpp>

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/exit_codes.h"
#include "lifecycle/server_process.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string server, model;
    int threads = 0;
    std::string extra;  // e.g. --gpu-layers for a GPU variant
};

struct Timed {
    double ttft_ms = 0;
    double server_prompt_ms = 0;
    int input_tokens = 0;
    int cached_tokens = 0;
};

class Server {
public:
    Server(const Options& o, const fs::path& dir, const fs::path& cache) : dir_(dir) {
        tsuku::lifecycle::LaunchSpec spec;
        spec.executable = o.server;
        spec.log_file = dir / "server.log";
        spec.args = {"serve",
                     "--socket",
                     (dir / "s.sock").string(),
                     "--model",
                     o.model,
                     "--notify-fd",
                     "3",
                     "--idle-timeout",
                     "0",
                     "--threads",
                     std::to_string(o.threads),
                     "--prompt-cache",
                     cache.string(),
                     "--prompt-cache-size",
                     "1073741824"};
        if (!o.extra.empty()) spec.args.push_back(o.extra);
        proc_.emplace(tsuku::lifecycle::ServerProcess::spawn(spec));
        if (proc_->wait_for_start(std::chrono::minutes(5)).kind != tsuku::lifecycle::StartOutcome::Kind::ready) {
            std::fprintf(stderr, "prompt-cache-bench: the server did not start (see %s)\n", spec.log_file.c_str());
            std::exit(tsuku::to_int(tsuku::ExitCode::failure));
        }
        stub_ = v1::InferenceService::NewStub(
            grpc::CreateChannel("unix:" + (dir / "s.sock").string(), grpc::InsecureChannelCredentials()));
    }
    Timed complete(const std::string& system, const std::string& question) {
        v1::CompletionRequest req;
        req.set_system_prompt(system);
        req.set_max_tokens(1);
        auto* m = req.add_messages();
        m->set_role(v1::ROLE_USER);
        m->set_content(question);
        grpc::ClientContext ctx;
        v1::CompletionResponse resp;
        const auto t0 = Clock::now();
        const auto s = stub_->Complete(&ctx, req, &resp);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!s.ok()) {
            std::fprintf(stderr, "prompt-cache-bench: Complete failed: %s\n", s.error_message().c_str());
            std::exit(tsuku::to_int(tsuku::ExitCode::failure));
        }
        return {ms, resp.timing().prompt_ms(), resp.usage().input_tokens(), resp.usage().cached_input_tokens()};
    }
    // A graceful stop: the server finishes saving before it exits.
    void stop() {
        grpc::ClientContext ctx;
        v1::ShutdownRequest req;
        req.set_graceful(true);
        v1::ShutdownResponse resp;
        stub_->Shutdown(&ctx, req, &resp);
        tsuku::lifecycle::wait_for_exit(proc_->pid(), std::chrono::minutes(2));
        proc_->kill_and_reap();
    }

private:
    fs::path dir_;
    std::optional<tsuku::lifecycle::ServerProcess> proc_;
    std::unique_ptr<v1::InferenceService::Stub> stub_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

uint64_t folder_bytes(const fs::path& dir) {
    uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.file_size();
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"time to first token after a restart, with and without a saved prompt state"};
    Options o;
    int system_words = 1950, runs = 3;
    app.add_option("--server", o.server)->required()->check(CLI::ExistingFile);
    app.add_option("--model", o.model)->required()->check(CLI::ExistingFile);
    app.add_option("--system-words", system_words, "words of system prompt (about one token each)")
        ->check(CLI::Range(200, 100000));
    app.add_option("--runs", runs)->check(CLI::Range(1, 100));
    app.add_option("--threads", o.threads)->check(CLI::Range(0, 1024));
    app.add_option("--extra", o.extra, "one more argument for the server, e.g. --gpu-layers=-1");
    CLI11_PARSE(app, argc, argv);

    // Common English words: about one token each, like a real system prompt's prose.
    const char* const words[] = {"install", "the",  "package", "from", "source",  "and",     "verify",
                                 "each",    "step", "with",    "care", "before",  "running", "any",
                                 "command", "on",   "the",     "user", "machine", "always"};
    std::string system = "You write installation recipes for tsuku.";
    for (int i = 0; i < system_words; ++i) system += std::string(" ") + words[(i * 7 + i / 20) % 20];

    std::vector<double> cold, warm, cold_prompt, warm_prompt;
    int input_tokens = 0, restored = 0;
    uint64_t state_bytes = 0;
    for (int r = 0; r < runs; ++r) {
        char tmpl[] = "/tmp/tsk-pcbench.XXXXXX";
        const fs::path dir = ::mkdtemp(tmpl);
        const fs::path cache = dir / "kv";
        // One server's life: one question timed, then a graceful stop (the server saves its state before it exits).
        auto one_server = [&](const char* question, std::vector<double>& ttft, std::vector<double>& prompt) {
            Server s(o, dir, cache);
            const auto t = s.complete(system, question);
            ttft.push_back(t.ttft_ms);
            prompt.push_back(t.server_prompt_ms);
            s.stop();
            return t;
        };
        input_tokens = one_server("How do I install ripgrep?", cold, cold_prompt).input_tokens;
        state_bytes = folder_bytes(cache);
        restored = one_server("How do I install fd?", warm, warm_prompt).cached_tokens;
        if (!std::getenv("KEEP")) fs::remove_all(dir);
    }
    std::printf(
        "{\"prompt_tokens\":%d,\"restored_tokens\":%d,\"cold_ttft_ms\":%.1f,\"restored_ttft_ms\":%.1f,\"ratio\":%.4f,"
        "\"cold_server_prompt_ms\":%.1f,\"restored_server_prompt_ms\":%.1f,\"state_bytes\":%llu,\"runs\":%d}\n",
        input_tokens, restored, median(cold), median(warm), median(warm) / std::max(1e-9, median(cold)),
        median(cold_prompt), median(warm_prompt), static_cast<unsigned long long>(state_bytes), runs);
    return 0;
}
