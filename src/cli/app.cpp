#include "cli/app.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "common/edit_distance.h"
#include "common/error.h"
#include "common/exception_report.h"
#include "common/exit_codes.h"
#include "common/text.h"
#include "common/version.h"

namespace tsuku::cli {

namespace {

std::string version_text() { return std::string("tsuku ") + kVersion + " (llama.cpp " + kLlamaCppRelease + ")"; }

std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (!sub->get_name().starts_with("__")) names.push_back(sub->get_name());
    }
    return names;
}

std::vector<std::string> option_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* o : app.get_options()) {
        for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    }
    return names;
}

// "tsuku llm complete" for the complete subcommand.
std::string command_path(const CLI::App* app) {
    std::string path;
    for (; app; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

// A guess only when it is a likely typo: at most a third of the word (and 3 edits) away.
std::optional<std::string> typo_guess(const std::string& word, const std::vector<std::string>& names) {
    return closest_word(word, names, std::min<size_t>(3, std::max<size_t>(1, word.size() / 3)));
}

// Before CLI11 parses: an unknown command or option gets "did you mean …" and exit 2 (CLI11 alone says "A
// subcommand is required" for `tsuku llm compelte` and lists nothing).
void check_words(CLI::App& root, int argc, char** argv) {
    CLI::App* cur = &root;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") break;
        if (a.starts_with("--") && a.size() > 2 && std::isalpha(static_cast<unsigned char>(a[2]))) {
            const std::string name = a.substr(0, a.find('='));
            if (name == "--help" || name == "--version") continue;
            bool known = false;
            for (CLI::App* p = cur; p && !known; p = p->get_parent()) known = p->get_option_no_throw(name) != nullptr;
            if (!known) {
                const std::string where = command_path(cur);
                const auto guess = typo_guess(name, option_names(*cur));
                throw UserError("unknown option " + name + " for " + where,
                                (guess ? "did you mean " + *guess + "? " : std::string()) + "see " + where + " --help",
                                ExitCode::usage);
            }
            continue;
        }
        if (a.starts_with("-") || cur->get_subcommands([](const CLI::App*) { return true; }).empty()) continue;
        CLI::App* sub = nullptr;
        for (auto* candidate : cur->get_subcommands([](const CLI::App*) { return true; })) {
            if (candidate->check_name(a)) sub = candidate;
        }
        if (sub) {
            cur = sub;
            continue;
        }
        if (cur->get_require_subcommand_min() == 0) continue;  // a positional argument of this command
        const std::string where = command_path(cur);
        const auto names = subcommand_names(*cur);
        const auto guess = typo_guess(a, names);
        std::string list;
        for (const auto& n : names) append_listed(list, ", ", n);
        throw UserError(
            "unknown command '" + a + "' for " + where,
            (guess ? "did you mean '" + where + " " + *guess + "'? " : std::string()) + "the commands are: " + list,
            ExitCode::usage);
    }
}

}  // namespace

void add_light_commands(App& app, Context& ctx) {
    app.root.name("tsuku");  // usage lines say `tsuku`, not the binary's full path
    app.root.set_version_flag("--version", version_text());
    app.root.require_subcommand(1);
    app.root.add_subcommand("version", "print the version of tsuku and of llama.cpp")->callback([&ctx] {
        ctx.out << version_text() << "\n";
    });
    app.llm = app.root.add_subcommand(
        "llm", "local LLM: complete, chat, serve, status, stop, detect, install, uninstall, prune, manifest, bench");
    app.llm->require_subcommand(1);
    app.llm->set_version_flag("--version", version_text());
    add_llm_detect(*app.llm, ctx);
    add_llm_manifest(*app.llm, ctx);
    add_probe_command(app.root, ctx);
    add_config_commands(app.root, ctx);
}

int run(App& app, int argc, char** argv) {
    try {
        check_words(app.root, argc, argv);
        app.root.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.root.exit(e) == 0 ? 0 : to_int(ExitCode::usage);
    } catch (const Interrupted&) {
        return to_int(ExitCode::interrupted);  // the command has tidied its output
    } catch (...) {
        return report_current_exception("error: ");
    }
    return to_int(ExitCode::ok);
}

}  // namespace tsuku::cli
