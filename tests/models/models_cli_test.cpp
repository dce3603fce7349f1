// Real models by default and models as packages (issue 14), through a tsuku whose embedded manifest is the test
// release's (tests/models/CMakeLists.txt): test-big and test-small are "real" models (synthetic files under their
// own names, checksums computed at build time), served over a loopback HTTP mirror (tests/support/http_server.py).
// Every command runs under setsid: no terminal, so consent comes only from --yes or llm.allow_downloads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/http_server.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tsuku::test::CommandResult;
using tsuku::test::HttpServer;

namespace {

constexpr const char* kCli = TSUKU_TEST_MODELS_CLI;
constexpr const char* kRelease = TSUKU_TEST_MODELS_RELEASE;
const std::string kSynthetic = "tsuku-synthetic-tiny-q8_0";

size_t count(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

size_t fetches(const HttpServer& server, const std::string& file) {
    size_t n = 0;
    for (const auto& r : server.requests()) n += r.value("path", "").ends_with("/" + file);
    return n;
}

class ModelsCli : public ::testing::Test {
protected:
    ~ModelsCli() override { tsuku({"llm", "stop"}); }

    CommandResult tsuku(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        args.insert(args.begin(), {"/usr/bin/setsid", kCli});
        env.emplace("TSUKU_HOME", home.path().string());
        return tsuku::test::run_command(args, env, "");
    }
    // The cpu variant and the synthetic model, installed from the mirror: what a machine has after a first start
    // without network consent.
    void install_basics(const HttpServer& server) {
        const auto r = tsuku({"llm", "install", "--yes", "--model", kSynthetic}, mirror(server, "ok"));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    static std::map<std::string, std::string> mirror(const HttpServer& server, const std::string& mode) {
        return {{"TSUKU_LLM_MIRROR", server.url(mode)}};
    }
    json models_json(std::map<std::string, std::string> env = {}) {
        const auto r = tsuku({"llm", "models", "--json"}, std::move(env));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    static const json* entry(const json& j, const std::string& name) {
        for (const auto& m : j["models"]) {
            if (m["name"] == name) return &m;
        }
        return nullptr;
    }
    fs::path model_file(const std::string& name) const { return home / "models" / (name + ".gguf"); }

    tsuku::test::TempDir home;
};

}  // namespace

TEST_F(ModelsCli, TheTestBinaryEmbedsTheTestManifest) {
    const auto r = tsuku({"llm", "manifest", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto m = json::parse(r.out);
    std::map<std::string, json> by_name;
    for (const auto& mo : m["models"]) by_name[mo["name"]] = mo;
    ASSERT_EQ(by_name.size(), 3u) << r.out;
    EXPECT_FALSE(by_name["test-big"].value("synthetic", false));
    EXPECT_FALSE(by_name["test-small"].value("synthetic", false));
    EXPECT_TRUE(by_name[kSynthetic].value("synthetic", false));
    EXPECT_GT(by_name["test-big"]["size"].get<uint64_t>(), 2 * by_name["test-small"]["size"].get<uint64_t>());
    EXPECT_GT(by_name["test-big"]["min_ram_bytes"].get<uint64_t>(),
              by_name["test-small"]["min_ram_bytes"].get<uint64_t>());
    EXPECT_TRUE(fs::exists(fs::path(kRelease) / "test-big.gguf"));
}

TEST_F(ModelsCli, AutoDownloadsTheBestFittingModelWithConsent) {
    HttpServer server(kRelease);
    const auto r = tsuku({"llm", "complete", "--yes", "--max-tokens", "4", "Hello"}, mirror(server, "ok"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(model_file("test-big")));
    EXPECT_EQ(fetches(server, "test-big.gguf"), 1u);
    EXPECT_EQ(fetches(server, "test-small.gguf"), 0u) << "the big one ranks first";
    EXPECT_EQ(fetches(server, kSynthetic + ".gguf"), 0u) << "real models rank above the synthetic one";
    EXPECT_EQ(count(r.err, "synthetic model"), 0u) << r.err;

    const auto j = models_json();
    ASSERT_TRUE(entry(j, "test-big"));
    EXPECT_TRUE((*entry(j, "test-big"))["serving"].get<bool>()) << j.dump(2);
    EXPECT_EQ(j["serving"]["model"], "test-big");
    EXPECT_EQ(j["serving"]["backend"], "cpu");
}

TEST_F(ModelsCli, WithoutConsentTheInstalledModelServesAndTheBetterOneIsNamedOnce) {
    HttpServer server(kRelease);
    install_basics(server);
    auto r = tsuku({"llm", "complete", "--max-tokens", "4", "Hello"}, mirror(server, "ok"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(model_file("test-big")));
    EXPECT_EQ(fetches(server, "test-big.gguf"), 0u) << "nothing is fetched without consent";
    EXPECT_EQ(count(r.err, "fits and answers better than " + kSynthetic), 1u) << r.err;
    EXPECT_NE(r.err.find("tsuku llm install --model test-big"), std::string::npos) << r.err;
    // The synthetic model's notice: exactly once for this start, with the way to a real model.
    EXPECT_EQ(count(r.err, "serving the synthetic model " + kSynthetic + ": its text is noise"), 1u) << r.err;

    // The running server is reused: no new start, no notice again.
    r = tsuku({"llm", "complete", "--max-tokens", "4", "Hello"}, mirror(server, "ok"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count(r.err, "its text is noise"), 0u) << r.err;
    EXPECT_EQ(count(r.err, "fits and answers better"), 0u) << r.err;

    // llm.allow_downloads is consent too: the next start downloads the better model and serves it.
    ASSERT_EQ(tsuku({"llm", "stop"}).exit_code, 0);
    ASSERT_EQ(tsuku({"config", "set", "llm.allow_downloads", "true"}).exit_code, 0);
    r = tsuku({"llm", "complete", "--max-tokens", "4", "Hello"}, mirror(server, "ok"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(model_file("test-big")));
    EXPECT_EQ(count(r.err, "its text is noise"), 0u) << r.err;
    EXPECT_EQ(models_json()["serving"]["model"], "test-big");
}

TEST_F(ModelsCli, AFailedDownloadSaysSoInOneLineAndServesTheInstalledModel) {
    HttpServer server(kRelease);
    install_basics(server);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"404", server.url("status/404")},
        {"checksum", server.url("corrupt/1000")},
        {"down", "http://127.0.0.1:9/"},  // nothing listens there: the mirror is down (retried, then given up)
    };
    for (const auto& [what, url] : cases) {
        SCOPED_TRACE(what);
        const auto r = tsuku({"llm", "complete", "--yes", "--max-tokens", "4", "Hello"}, {{"TSUKU_LLM_MIRROR", url}});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(count(r.err, "tsuku: could not download the model test-big ("), 1u) << r.err;
        EXPECT_NE(r.err.find("); serving " + kSynthetic + " instead\n"), std::string::npos) << r.err;
        EXPECT_EQ(count(r.err, "its text is noise"), 1u) << r.err;
        EXPECT_FALSE(fs::exists(model_file("test-big")));
        EXPECT_EQ(models_json()["serving"]["model"], kSynthetic);
        ASSERT_EQ(tsuku({"llm", "stop"}).exit_code, 0);
    }
    EXPECT_EQ(fetches(server, "test-small.gguf"), 0u) << "a failed download does not try the next model";
}

TEST_F(ModelsCli, ModelsListsManifestModelsAndFilesWithFitAndServing) {
    HttpServer server(kRelease);
    install_basics(server);
    fs::copy_file(fs::path(kRelease) / "test-small.gguf", home / "models" / "mine.gguf");
    tsuku::test::write_file(home / "models" / "broken.gguf", "not a model");

    auto j = models_json();
    std::vector<std::string> names;
    for (const auto& m : j["models"]) names.push_back(m["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"test-big", "test-small", kSynthetic, "broken", "mine"}));
    const auto& big = *entry(j, "test-big");
    EXPECT_FALSE(big["installed"].get<bool>());
    EXPECT_EQ(big["source"], "manifest");
    EXPECT_GT(big["need_ram_bytes"].get<uint64_t>(), big["size_bytes"].get<uint64_t>());
    EXPECT_TRUE(big["fits"]["cpu"].get<bool>()) << j.dump(2);
    EXPECT_TRUE((*entry(j, kSynthetic))["installed"].get<bool>());
    EXPECT_TRUE((*entry(j, kSynthetic))["synthetic"].get<bool>());
    const auto& mine = *entry(j, "mine");
    EXPECT_EQ(mine["source"], "file");
    EXPECT_TRUE(mine["installed"].get<bool>());
    EXPECT_EQ(mine["need_ram_bytes"], (*entry(j, "test-small"))["need_ram_bytes"]) << "the same shape";
    EXPECT_TRUE((*entry(j, "broken"))["need_ram_bytes"].is_null());
    EXPECT_TRUE((*entry(j, "broken")).contains("problem"));
    EXPECT_TRUE(j["serving"].is_null());

    const auto r = tsuku({"llm", "models"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("MODEL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("serving: no server is running"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not in the manifest"), std::string::npos) << r.out;

    const auto help = tsuku({"llm", "--help"});
    EXPECT_NE(help.out.find("\n  models "), std::string::npos) << help.out;
}

TEST_F(ModelsCli, UninstallModelIsRefusedWhileServingAndRemovesItAfterAStop) {
    HttpServer server(kRelease);
    install_basics(server);
    ASSERT_EQ(tsuku({"llm", "complete", "--max-tokens", "2", "Hi"}, mirror(server, "ok")).exit_code, 0);
    auto r = tsuku({"llm", "uninstall", "--model", kSynthetic});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is serving"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tsuku llm stop"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(model_file(kSynthetic)));

    r = tsuku({"llm", "uninstall", "--model", "nonsense"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("test-big"), std::string::npos) << "the error lists the names: " << r.err;

    ASSERT_EQ(tsuku({"llm", "stop"}).exit_code, 0);
    r = tsuku({"llm", "uninstall", "--model", kSynthetic});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(model_file(kSynthetic)));
    EXPECT_FALSE((*entry(models_json(), kSynthetic))["installed"].get<bool>());
}

TEST_F(ModelsCli, PruneRemovesUnreferencedModelFilesAndPartialDownloads) {
    HttpServer server(kRelease);
    install_basics(server);
    fs::copy_file(fs::path(kRelease) / "test-small.gguf", home / "models" / "stray.gguf");
    fs::copy_file(fs::path(kRelease) / "test-small.gguf", home / "models" / "kept.gguf");
    ASSERT_EQ(tsuku({"config", "set", "llm.model", (home / "models" / "kept.gguf").string()}).exit_code, 0);
    const fs::path partial = home / "cache" / "downloads" / (std::string(64, 'a') + ".partial");
    fs::create_directories(partial.parent_path());
    tsuku::test::write_file(partial, "half");

    const auto r = tsuku({"llm", "prune"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(home / "models" / "stray.gguf")) << r.out;
    EXPECT_FALSE(fs::exists(partial)) << r.out;
    EXPECT_TRUE(fs::exists(home / "models" / "kept.gguf")) << "llm.model refers to it";
    EXPECT_TRUE(fs::exists(model_file(kSynthetic))) << "a manifest model";
    EXPECT_NE(r.out.find("removed " + (home / "models" / "stray.gguf").string()), std::string::npos) << r.out;
}
