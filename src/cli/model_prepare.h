// The model a start serves on one backend (issue 14): llm.model = auto wants the best model that fits, installed or
// not. With consent it is downloaded and verified, with progress; without consent, or when the download fails, the
// best fitting model already here serves and one line says why. Notices are said once per server start, however
// many backends the chain tries.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "cli/context.h"
#include "config/config.h"
#include "install/progress.h"
#include "install/variant_store.h"
#include "platform/detect.h"

namespace tsuku::cli {

class ModelPreparer {
public:
    // `model_override`: --model for this call; `source`: who set the model (for errors about a path).
    ModelPreparer(const Context& ctx, const config::Config& cfg, install::Progress& progress, install::Consent consent,
                  std::optional<std::string> model_override, std::string source);

    // The file to serve on `backend`, present and verified. Throws UserError when no model can be had.
    std::filesystem::path prepare(Backend backend, const platform::DetectionReport& report);

    // After a start: when the model prepared last (the one that now serves) is the synthetic one, says once that its
    // text is noise and how to get a real model.
    void notice_if_synthetic();

private:
    bool try_download(const manifest::Model& better, const manifest::Model& installed);
    void tell_synthetic(const manifest::Model& serving, Backend backend, const platform::DetectionReport& report);

    const Context& ctx_;
    const config::Config& cfg_;
    install::Progress& progress_;
    install::Consent consent_;
    std::optional<std::string> override_;
    std::string source_;
    std::set<std::string> not_downloaded_;  // refused or failed in this start: not asked or tried again
    bool refused_ = false;                  // the user said no: no more questions in this start
    bool told_synthetic_ = false;
    const manifest::Model* last_ = nullptr;  // prepared last (null for a path)
    Backend last_backend_ = Backend::cpu;
    const platform::DetectionReport* last_report_ = nullptr;
};

}  // namespace tsuku::cli
