#include "cli/sampling_options.h"

#include "common/error.h"
#include "common/text_input.h"

namespace tsuku::cli {

void add_sampling_options(CLI::App& cmd, Sampling& s) {
    // The server's defaults (server/sampler.h) are shown here; options not given leave them to the server.
    cmd.add_option_function<float>(
           "--temperature", [&s](const float& v) { s.temperature = v; },
           "randomness, 0 to 2; 0 always takes the most likely token")
        ->default_str("0.8")
        ->check(CLI::Range(0.0, 2.0));
    cmd.add_option_function<float>(
           "--top-p", [&s](const float& v) { s.top_p = v; },
           "draw only from the most likely tokens holding this much probability (above 0, at most 1)")
        ->default_str("0.95")
        ->check(CLI::Range(0.0, 1.0));
    cmd.add_option_function<uint32_t>(
           "--seed", [&s](const uint32_t& v) { s.seed = v; },
           "seed for sampling: the same seed, prompt and model give the same reply")
        ->default_str("random");
    cmd.add_option("--stop", s.stops, "stop before this text (repeat for several, at most 8)")
        ->allow_extra_args(false);  // `--stop X PROMPT`: the prompt is not a second stop
}

void apply_sampling(const Sampling& s, tsuku::llm::v1::CompletionRequest& request) {
    if (s.temperature) request.set_temperature(*s.temperature);
    if (s.top_p) {
        if (*s.top_p <= 0.0f) {
            throw UserError("--top-p must be above 0", "use a value above 0 and at most 1 (e.g. 0.9)", ExitCode::usage);
        }
        request.set_top_p(*s.top_p);
    }
    if (s.seed) request.set_seed(*s.seed);
    if (s.stops.size() > 8) {
        throw UserError("--stop is given " + std::to_string(s.stops.size()) + " times", "give at most 8 stop strings",
                        ExitCode::usage);
    }
    for (const auto& stop : s.stops) {
        if (stop.empty() || stop.size() > 256) {
            throw UserError("a --stop string is " + std::to_string(stop.size()) + " bytes", "give 1 to 256 bytes",
                            ExitCode::usage);
        }
        if (first_invalid_utf8(stop)) {
            throw UserError("a --stop string is not valid UTF-8", "give UTF-8 text", ExitCode::usage);
        }
        request.add_stop(stop);
    }
}

}  // namespace tsuku::cli
