// --temperature, --top-p, --seed and --stop: the same options and defaults on complete and chat.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::cli {

struct Sampling {
    std::optional<float> temperature;
    std::optional<float> top_p;
    std::optional<uint32_t> seed;
    std::vector<std::string> stops;
};

void add_sampling_options(CLI::App& cmd, Sampling& s);
// Sets the request's sampling fields that were given (the rest keep the server's defaults). Throws UserError for a
// stop string that is not UTF-8.
void apply_sampling(const Sampling& s, tsuku::llm::v1::CompletionRequest& request);

}  // namespace tsuku::cli
