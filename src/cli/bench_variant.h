// Measures one installed variant privately for `tsuku llm bench`: its own server on a temporary socket (never the
// shared one, so a running server and its clients are left alone), a warm-up request, then repeated requests with
// the same prompt and token counts, timed by the server itself (prompt_ms, generation_ms: no IPC in the rates).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/backend.h"

namespace tsuku::cli {

struct Spread {
    double median = 0, min = 0, max = 0;
};
Spread spread_of(std::vector<double> values);  // zeros for an empty list

struct BenchWorkload {
    int prompt_words = 150;  // ordinary words: the chat template and tokenizer make ~1.3 tokens of each
    int gen_tokens = 64;
    int runs = 3;
    int warmups = 1;
    int threads = 0;  // 0: the server's default (every core)
};

struct VariantLaunch {
    Backend backend = Backend::cpu;
    std::filesystem::path executable;
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path model;
    std::filesystem::path log_file;
    std::chrono::milliseconds start_timeout{std::chrono::minutes(2)};
};

struct VariantResult {
    Backend backend = Backend::cpu;
    enum class Status { ok, unavailable, failed } status = Status::failed;
    std::string reason;  // unavailable: the server's reason code; failed: what happened
    std::string detail;
    std::vector<std::string> devices;  // "llvmpipe (LLVM 15.0.6, 256 bits)", "CPU", …
    std::chrono::milliseconds startup{0};
    int prompt_tokens = 0;  // of the median run
    int gen_tokens = 0;
    Spread prompt_tps, gen_tps, request_ms;
};
const char* status_name(VariantResult::Status s);

// Never throws for what a variant does (exit 78, a crash, a failed request): that is the result.
VariantResult measure_variant(const VariantLaunch& launch, const BenchWorkload& workload);

}  // namespace tsuku::cli
