// bare-decode: the limits. Plain llama.cpp loops on the same libraries as tsuku-llm, with no IPC, no chat template
// and no detokenisation beyond what is needed. Prints one JSON line: the medians of --runs measured rounds after
// --warmups unmeasured ones (each round on an empty KV cache):
//   prompt_tps   one batch of --prompt-tokens, timed until the device has finished it (llama_synchronize)
//   decode_tps   the pure decode limit, as llama.cpp's llama-bench measures it: one token per llama_decode, each
//                waited for, no sampling (the next token is chosen without reading the logits)
//   gen_tps      a greedy generation loop (sampling + detokenising each token), and of it sample_ms_per_token:
//                the greedy sampler's own time per token (it builds the whole vocabulary's candidate array)
//
//   bare-decode --model M.gguf [--prompt-tokens 128] [--gen-tokens 64] [--threads 2] [--ctx 4096] [--gpu-layers 99]
//               [--runs 3] [--warmups 1]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/exit_codes.h"
#include "ggml-backend.h"
#include "llama.h"

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
void quiet_log(ggml_log_level, const char*, void*) {}
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Bare llama.cpp decode loop (benchmark limit)"};
    std::string model_path, backend_dir;
    int prompt_tokens = 128, gen_tokens = 64, threads = 2, ctx = 4096, gpu_layers = 99, runs = 3, warmups = 1;
    app.add_option("--model", model_path)->required()->check(CLI::ExistingFile);
    app.add_option("--backend-dir", backend_dir, "folder with libggml-<backend>.so (default: the variant's folder)");
    app.add_option("--prompt-tokens", prompt_tokens)->check(CLI::Range(1, 1 << 16));
    app.add_option("--gen-tokens", gen_tokens)->check(CLI::Range(1, 1 << 16));
    app.add_option("--threads", threads)->check(CLI::Range(1, 512));
    app.add_option("--ctx", ctx)->check(CLI::Range(256, 1 << 20));
    app.add_option("--gpu-layers", gpu_layers);
    app.add_option("--runs", runs)->check(CLI::Range(1, 100));
    app.add_option("--warmups", warmups)->check(CLI::Range(0, 10));
    CLI11_PARSE(app, argc, argv);

    llama_log_set(quiet_log, nullptr);
    if (backend_dir.empty()) backend_dir = TSUKU_BACKEND_DIR;  // the variant folder this program was built for
    ggml_backend_load_all_from_path(backend_dir.c_str());

    auto mp = llama_model_default_params();
    mp.n_gpu_layers = gpu_layers;
    llama_model* model = llama_model_load_from_file(model_path.c_str(), mp);
    if (!model) {
        std::fprintf(stderr, "bare-decode: cannot load %s\n", model_path.c_str());
        return tsuku::to_int(tsuku::ExitCode::failure);
    }
    auto cp = llama_context_default_params();
    cp.n_ctx = static_cast<uint32_t>(ctx);
    cp.n_batch = static_cast<uint32_t>(std::max(prompt_tokens, 512));
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    llama_context* lctx = llama_init_from_model(model, cp);
    if (!lctx) {
        std::fprintf(stderr, "bare-decode: cannot create a context\n");
        return tsuku::to_int(tsuku::ExitCode::failure);
    }
    const llama_vocab* vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    // A deterministic prompt of ordinary tokens (skip the first ids: often special/control).
    std::vector<llama_token> prompt(static_cast<size_t>(prompt_tokens));
    for (int i = 0; i < prompt_tokens; ++i) prompt[static_cast<size_t>(i)] = 1000 + (i * 7919) % (n_vocab / 2);

    llama_sampler* smpl = llama_sampler_init_greedy();
    llama_memory_t memory = llama_get_memory(lctx);
    auto decode_one = [&](llama_token tok) {
        if (llama_decode(lctx, llama_batch_get_one(&tok, 1)) != 0) return false;
        llama_synchronize(lctx);
        return true;
    };
    std::vector<double> pp_tps, tg_tps, decode_tps, sample_ms;
    int generated = 0;
    for (int round = 0; round < warmups + runs; ++round) {
        llama_memory_clear(memory, true);
        auto t0 = std::chrono::steady_clock::now();
        if (llama_decode(lctx, llama_batch_get_one(prompt.data(), prompt_tokens)) != 0) {
            std::fprintf(stderr, "bare-decode: prompt decode failed\n");
            return tsuku::to_int(tsuku::ExitCode::failure);
        }
        llama_synchronize(lctx);  // decode may return before a GPU has finished
        const double pp_s = seconds_since(t0);

        // The greedy loop, with the sampler's share measured apart (after the decode it reads has finished).
        generated = 0;
        double sampling_s = 0;
        char piece[256];
        t0 = std::chrono::steady_clock::now();
        for (; generated < gen_tokens; ++generated) {
            const auto ts = std::chrono::steady_clock::now();
            llama_token tok = llama_sampler_sample(smpl, lctx, -1);
            sampling_s += seconds_since(ts);
            (void)llama_token_to_piece(vocab, tok, piece, sizeof piece, 0, true);
            if (!decode_one(tok)) break;
        }
        const double tg_s = seconds_since(t0);

        // The pure decode limit from the same position: the greedy loop's tokens dropped from the cache.
        llama_memory_seq_rm(memory, 0, prompt_tokens, -1);
        int decoded = 0;
        t0 = std::chrono::steady_clock::now();
        for (; decoded < gen_tokens; ++decoded) {
            if (!decode_one(prompt[static_cast<size_t>(decoded % prompt_tokens)])) break;
        }
        const double decode_s = seconds_since(t0);
        if (round < warmups) continue;
        pp_tps.push_back(prompt_tokens / pp_s);
        tg_tps.push_back(generated / tg_s);
        decode_tps.push_back(decoded / decode_s);
        sample_ms.push_back(generated ? sampling_s * 1000 / generated : 0);
    }
    const double pp = median(pp_tps), tg = median(tg_tps), limit = median(decode_tps);
    std::printf(
        "{\"prompt_tokens\":%d,\"prompt_seconds\":%.6f,\"prompt_tps\":%.3f,"
        "\"gen_tokens\":%d,\"gen_seconds\":%.6f,\"gen_tps\":%.3f,\"decode_tps\":%.3f,"
        "\"sample_ms_per_token\":%.4f,\"threads\":%d,\"runs\":%d,\"n_vocab\":%d}\n",
        prompt_tokens, prompt_tokens / pp, pp, generated, generated / tg, tg, limit, median(sample_ms), threads, runs,
        n_vocab);
    llama_sampler_free(smpl);
    llama_free(lctx);
    llama_model_free(model);
    return 0;
}
