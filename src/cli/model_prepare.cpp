#include "cli/model_prepare.h"

#include "cli/detection.h"
#include "cli/model_file.h"
#include "common/byte_size.h"
#include "common/error.h"
#include "install/locations.h"
#include "install/model_store.h"
#include "manifest/manifest.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

ModelPreparer::ModelPreparer(const Context& ctx, const config::Config& cfg, install::Progress& progress,
                             install::Consent consent, std::optional<std::string> model_override, std::string source)
    : ctx_(ctx),
      cfg_(cfg),
      progress_(progress),
      consent_(std::move(consent)),
      override_(std::move(model_override)),
      source_(std::move(source)) {}

fs::path ModelPreparer::prepare(Backend backend, const platform::DetectionReport& report) {
    const Home home = ctx_.home();
    // Chosen for this backend: a fallback from a GPU to the CPU gets a model that fits the CPU's memory.
    const auto choice = model_for(ctx_, cfg_, backend, report, override_);
    last_ = nullptr;
    if (!choice.model) {
        check_model_file(choice.path, source_, false);
        return choice.path;
    }
    const manifest::Model* serve = choice.model;
    // auto, and a better model than the best one here fits: get it if we may, else serve what is here.
    if (choice.best_fit && choice.best_fit != choice.model && try_download(*choice.best_fit, *choice.model)) {
        serve = choice.best_fit;
    }
    // Nothing else to fall back to here: a refusal or a failed download is the start's error.
    install::ensure_model(home, *serve, ctx_.env, progress_, consent_);
    install::verify_model(home, *serve, progress_);
    last_ = serve;
    last_backend_ = backend;
    last_report_ = &report;
    return install::model_path(home, *serve);
}

bool ModelPreparer::try_download(const manifest::Model& better, const manifest::Model& installed) {
    if (refused_ || not_downloaded_.count(better.name)) return false;
    bool said_no = false;
    const install::Consent asking = [&](const std::string& what, uint64_t bytes, const std::string& url) {
        const bool yes = consent_ && consent_(what, bytes, url);
        said_no = !yes;
        return yes;
    };
    try {
        install::ensure_model(ctx_.home(), better, ctx_.env, progress_, asking);
        install::verify_model(ctx_.home(), better, progress_);
        return true;
    } catch (const std::exception& e) {
        not_downloaded_.insert(better.name);
        if (said_no) {
            refused_ = true;
            ctx_.err << "tsuku: " << better.name << " (" << format_mib_rounded(better.artifact.size)
                     << ") fits and answers better than " << installed.name << "; to get it: tsuku llm install --model "
                     << better.name << " (or allow downloads: tsuku config set llm.allow_downloads true)\n";
        } else {
            ctx_.err << "tsuku: could not download the model " << better.name << " (" << first_line(e.what())
                     << "); serving " << installed.name << " instead\n";
        }
        return false;
    }
}

void ModelPreparer::notice_if_synthetic() {
    if (told_synthetic_ || !last_ || !last_->synthetic || !last_report_) return;
    told_synthetic_ = true;
    const manifest::Model& serving = *last_;
    const Backend backend = last_backend_;
    const auto& report = *last_report_;
    // The real model auto would choose on this backend, if any fits.
    const manifest::Model* real = nullptr;
    try {
        const auto best = model_for(ctx_, cfg_, backend, report, std::string("auto")).best_fit;
        if (best && !best->synthetic) real = best;
    } catch (const UserError&) {
    }
    std::string fix = "no real model fits the free memory of " + std::string(backend_name(backend)) +
                      " now (tsuku llm models lists them)";
    if (real) {
        fix = "tsuku llm install --model " + real->name;
        if (override_ || cfg_.model().kind != config::ModelChoice::Kind::automatic) {
            fix += ", then use it (--model " + real->name + ", or tsuku config set llm.model auto)";
        }
    }
    ctx_.err << "tsuku: serving the synthetic model " << serving.name
             << ": its text is noise (it exists to run offline and test the machinery). For real answers: " << fix
             << "\n";
}

}  // namespace tsuku::cli
