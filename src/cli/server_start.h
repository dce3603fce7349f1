// The start path shared by every command that needs a server: config × embedded manifest × detection → the chain;
// for each backend of it: install (with consent) and verify the variant, choose the model for that backend's free
// memory, launch; fall back on exit 78, a crash or a missed deadline (lifecycle/supervisor.h), and say so once.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "cli/context.h"
#include "cli/detection.h"
#include "config/config.h"
#include "install/variant_store.h"
#include "lifecycle/supervisor.h"
#include "platform/detect.h"
#include "resolve/model_choice.h"

namespace tsuku::cli {

// Asks before a network download: yes when `assume_yes` or llm.allow_downloads, else a question on the terminal
// (/dev/tty, so a prompt read from stdin is not consumed), else no.
install::Consent make_consent(const Context& ctx, const config::Config& cfg, bool assume_yes);

// How complete, install and bench install a variant of the embedded manifest: with `consent`, verified, taking from
// the system every component library detection found there (so a machine with the CUDA runtime does not download
// it). Throws UserError.
install::InstalledVariant prepare_variant(const Context& ctx, const platform::DetectionReport& report, Backend backend,
                                          install::Progress& progress, install::Consent consent,
                                          bool reinstall = false);

struct StartRequest {
    std::optional<std::string> model;  // --model on the command line
    std::string backend;               // --backend for this one call ("" = llm.backend)
    bool assume_yes = false;           // --yes
    // Called just before a server is launched (after any download): the backend and the model's name.
    std::function<void(const std::string& backend, const std::string& model)> on_launch;
};

// A server that serves what `request` (with the config) asks for: the running one when it does, else a new one
// (restarting the running one once its requests are done, and saying so in one line). The result holds a shared
// use lock: keep it for the length of the requests.
lifecycle::SupervisedStart ensure_server(Context& ctx, const StartRequest& request = {});

}  // namespace tsuku::cli
