// server-tokens: prompt and generation tokens/s of the real tsuku-llm through its gRPC API.
// Prompt rate: a request with max_tokens=1 (the prompt plus one sampled token). Generation rate: the extra time of
// a max_tokens=N request over that, per extra token. Median of --runs after a warm-up. Prints one JSON line, with
// the server's own figures beside them (server_prompt_tps, server_gen_tps: its timing, no IPC) and its sampling
// cost per generated token (server_sample_ms_per_token: the part of generation spent choosing tokens).
//
//   server-tokens --server build/variants/cpu/tsuku-llm --model M.gguf [--prompt-words 100] [--gen-tokens 64]
#include <CLI/CLI.hpp>

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/exit_codes.h"
#include "lifecycle/server_process.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using Clock = std::chrono::steady_clock;

namespace {

struct Sample {
    double seconds;  // end to end, through gRPC
    int input_tokens;
    int output_tokens;
    double server_prompt_ms;  // the server's own timing (no IPC)
    double server_generation_ms;
    double server_sampling_ms;
};

// Each request gets its own system prompt, different from its first letter on: the server may reuse the prefix a
// request shares with the previous one, and the prompt rate must count only evaluated tokens (the template's few
// opening tokens stay shared). One letter and a full stop: the same token count for every request.
Sample timed_complete(v1::InferenceService::Stub& stub, const std::string& prompt, int max_tokens) {
    static int request_no = 0;
    v1::CompletionRequest req;
    req.set_system_prompt(std::string(1, static_cast<char>('A' + request_no++ % 26)) + ". You are a benchmark.");
    req.set_max_tokens(max_tokens);
    auto* m = req.add_messages();
    m->set_role(v1::ROLE_USER);
    m->set_content(prompt);
    grpc::ClientContext ctx;
    v1::CompletionResponse resp;
    const auto t0 = Clock::now();
    const auto s = stub.Complete(&ctx, req, &resp);
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!s.ok()) {
        std::fprintf(stderr, "server-tokens: Complete failed: %s\n", s.error_message().c_str());
        std::exit(tsuku::to_int(tsuku::ExitCode::failure));
    }
    return {sec,
            resp.usage().input_tokens(),
            resp.usage().output_tokens(),
            resp.timing().prompt_ms(),
            resp.timing().generation_ms(),
            resp.timing().sampling_ms()};
}

constexpr int kFullLengthTries = 5;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"tokens/s of tsuku-llm through gRPC"};
    std::string server, model;
    int prompt_words = 100, gen_tokens = 64, runs = 3, threads = 0;
    app.add_option("--server", server)->required()->check(CLI::ExistingFile);
    app.add_option("--model", model)->required()->check(CLI::ExistingFile);
    app.add_option("--prompt-words", prompt_words)->check(CLI::Range(1, 100000));
    app.add_option("--gen-tokens", gen_tokens)->check(CLI::Range(2, 100000));
    app.add_option("--runs", runs)->check(CLI::Range(1, 100));
    app.add_option("--threads", threads)->check(CLI::Range(0, 1024));
    CLI11_PARSE(app, argc, argv);

    char tmpl[] = "/tmp/tsk-bench.XXXXXX";
    const fs::path dir = ::mkdtemp(tmpl);
    tsuku::lifecycle::LaunchSpec spec;
    spec.executable = server;
    spec.log_file = dir / "server.log";
    spec.args = {
        "serve", "--socket",  (dir / "s.sock").string(), "--model", model, "--notify-fd", "3", "--idle-timeout",
        "0",     "--threads", std::to_string(threads)};
    auto proc = tsuku::lifecycle::ServerProcess::spawn(spec);
    const auto start = proc.wait_for_start(std::chrono::minutes(5));
    if (start.kind != tsuku::lifecycle::StartOutcome::Kind::ready) {
        std::fprintf(stderr, "server-tokens: the server did not start (see %s)\n", spec.log_file.c_str());
        return tsuku::to_int(tsuku::ExitCode::failure);
    }
    auto stub = v1::InferenceService::NewStub(
        grpc::CreateChannel("unix:" + (dir / "s.sock").string(), grpc::InsecureChannelCredentials()));

    // The devices the server runs on, with the memory it sees (the GPU script checks them against nvidia-smi).
    nlohmann::json devices = nlohmann::json::array();
    {
        grpc::ClientContext sctx;
        v1::StatusResponse st;
        if (stub->GetStatus(&sctx, v1::StatusRequest{}, &st).ok()) {
            for (const auto& d : st.devices()) {
                devices.push_back({{"name", d.name()},
                                   {"description", d.description()},
                                   {"free_bytes", d.memory_free_bytes()},
                                   {"total_bytes", d.memory_total_bytes()}});
            }
        }
    }

    std::string prompt;
    for (int i = 0; i < prompt_words; ++i) prompt += "word" + std::to_string(i % 50) + " ";
    timed_complete(*stub, prompt, gen_tokens);  // warm-up
    std::vector<double> pp, tg, server_pp, server_tg, server_sample_ms;
    int input_tokens = 0, generated = 0;
    for (int r = 0; r < runs; ++r) {
        const auto one = timed_complete(*stub, prompt, 1);
        // A noise model may end its reply early: the difference of two nearly equal times is no rate. Each request
        // draws its own seed, so another try usually runs to the full length; a reply of less than half of it does
        // not count.
        auto full = timed_complete(*stub, prompt, gen_tokens);
        for (int tries = 1; full.output_tokens < gen_tokens && tries < kFullLengthTries; ++tries) {
            full = timed_complete(*stub, prompt, gen_tokens);
        }
        input_tokens = one.input_tokens;
        generated = full.output_tokens;
        pp.push_back(one.input_tokens / one.seconds);
        server_pp.push_back(one.input_tokens / std::max(1e-9, one.server_prompt_ms / 1000));
        if (full.output_tokens >= std::max(2, gen_tokens / 2) && full.seconds > one.seconds) {
            tg.push_back((full.output_tokens - 1) / std::max(1e-9, full.seconds - one.seconds));
            server_tg.push_back((full.output_tokens - 1) / std::max(1e-9, full.server_generation_ms / 1000));
            server_sample_ms.push_back(full.server_sampling_ms / full.output_tokens);
        }
    }
    std::printf(
        "{\"prompt_tokens\":%d,\"prompt_tps\":%.3f,\"gen_tokens\":%d,\"gen_tps\":%.3f,\"server_prompt_tps\":%.3f,"
        "\"server_gen_tps\":%.3f,\"server_sample_ms_per_token\":%.4f,\"runs\":%d,\"startup_ms\":%lld,"
        "\"devices\":%s}\n",
        input_tokens, median(pp), generated, median(tg), median(server_pp), median(server_tg), median(server_sample_ms),
        runs, static_cast<long long>(start.elapsed.count()),
        devices.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    ::kill(proc.pid(), SIGTERM);
    tsuku::lifecycle::wait_for_exit(proc.pid(), std::chrono::seconds(30));
    proc.kill_and_reap();
    fs::remove_all(dir);
    return 0;
}
