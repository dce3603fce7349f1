// `tsuku llm bench` with the real CLI, the real variants (cpu; vulkan on lavapipe with software devices allowed;
// cuda without a driver) and the measured choice it records: whichever variant wins leads the chain that detection
// shows and that a start uses, until the choice is forgotten; an explicit llm.backend still decides.
// Assertions are on behaviour (which variant leads), never on speed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using nlohmann::json;
using tsuku::test::CommandResult;
using tsuku::test::run_command;

namespace {

class BenchTest : public ::testing::Test {
protected:
    ~BenchTest() override { tsuku({"llm", "stop"}); }
    CommandResult tsuku(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        args.insert(args.begin(), tsuku::test::kCli);
        env.emplace("TSUKU_HOME", home.path().string());
        env.emplace("TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "");  // unset unless a test allows software devices
        return run_command(args, env);
    }
    json detect(std::map<std::string, std::string> env = {}) {
        const auto r = tsuku({"llm", "detect", "--json"}, std::move(env));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    // A short workload: the assertions are about which variant leads, not about its speed.
    static std::vector<std::string> quick(std::vector<std::string> args) {
        args.insert(args.begin(), {"llm", "bench", "--json", "--runs", "1", "--warmups", "0", "--prompt-words", "16",
                                   "--gen-tokens", "4", "--yes"});
        return args;
    }
    tsuku::test::TempDir home;
    const std::map<std::string, std::string> software{{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "1"}};
};

}  // namespace

TEST_F(BenchTest, SelectPutsTheFastestMeasuredVariantFirstInTheChain) {
    EXPECT_EQ(detect(software)["chain"], json({"cpu"}));  // lavapipe is not an accelerator: the static chain

    const auto r = tsuku(quick({"--backend", "cpu", "--backend", "vulkan", "--select"}), software);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    ASSERT_EQ(j["variants"].size(), 2u);
    for (const auto& v : j["variants"]) {
        EXPECT_EQ(v["status"], "ok") << v.dump();
        EXPECT_GT(v["gen_tps"]["median"].get<double>(), 0) << v.dump();
        EXPECT_GT(v["prompt_tps"]["median"].get<double>(), 0) << v.dump();
    }
    const std::string winner = j["fastest"];
    EXPECT_TRUE(winner == "cpu" || winner == "vulkan") << winner;
    EXPECT_EQ(j["chain"][0], winner);

    // Detection now shows the measured winner first (the rest keeps the release's order behind it).
    const auto d = detect(software);
    EXPECT_EQ(d["chain"][0], winner) << d["chain"].dump();
    EXPECT_NE(d["measured_choice"].get<std::string>().find(winner), std::string::npos) << d["measured_choice"];
    if (winner == "vulkan") {
        EXPECT_EQ(d["chain"], json({"vulkan", "cpu"}));
        // Measured on a software device: without the permission the choice would exit 78, so it is not used.
        EXPECT_EQ(detect()["chain"], json({"cpu"}));
    }

    // --forget: the release's order again.
    ASSERT_EQ(tsuku({"llm", "bench", "--forget"}).exit_code, 0);
    EXPECT_EQ(detect(software)["chain"], json({"cpu"}));
}

TEST_F(BenchTest, AMeasuredVulkanChoiceLeadsTheStartAndAnExplicitBackendStillWins) {
    // The measured choice as --select writes it, with vulkan the winner (injected: on this machine lavapipe
    // rarely wins), for this machine's fingerprint.
    const std::string fingerprint = detect(software)["fingerprint"];
    const json choice = {{"fingerprint", fingerprint},
                         {"backend", "vulkan"},
                         {"needs_software_devices", true},
                         {"model", "test"},
                         {"prompt_tokens", 100},
                         {"gen_tokens", 16},
                         {"time", 0},
                         {"measurements",
                          {{{"backend", "vulkan"}, {"prompt_tps", 500}, {"gen_tps", 50}},
                           {{"backend", "cpu"}, {"prompt_tps", 100}, {"gen_tps", 10}}}}};
    tsuku::test::write_file(home.path() / "state" / "measured-choice.json", choice.dump());
    EXPECT_EQ(detect(software)["chain"], json({"vulkan", "cpu"}));

    // The start path follows it: the server runs on vulkan (lavapipe, allowed).
    const auto c = tsuku({"llm", "complete", "--max-tokens", "2", "Hello"}, software);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    const auto status = tsuku({"llm", "status", "--json"}, software);
    EXPECT_EQ(json::parse(status.out)["backend"], "vulkan") << status.out;
    tsuku({"llm", "stop"});

    // llm.backend (here through its environment variable, which the note names) decides over the measured choice.
    auto forced = software;
    forced["TSUKU_LLM_BACKEND"] = "cpu";
    const auto d = detect(forced);
    EXPECT_EQ(d["chain"][0], "cpu") << d["chain"].dump();
    EXPECT_NE(d["measured_choice"].get<std::string>().find("TSUKU_LLM_BACKEND = cpu decides"), std::string::npos)
        << d["measured_choice"];

    // A new fingerprint (another GPU, a driver update) makes the choice stale.
    auto stale = choice;
    stale["fingerprint"] = "another-machine";
    tsuku::test::write_file(home.path() / "state" / "measured-choice.json", stale.dump());
    EXPECT_EQ(detect(software)["chain"], json({"cpu"}));
}

TEST_F(BenchTest, AVariantThatCannotRunIsAResultNotAFailure) {
    const auto r = tsuku(quick({"--backend", "cuda", "--backend", "cpu"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    ASSERT_EQ(j["variants"].size(), 2u);
    EXPECT_EQ(j["variants"][0]["backend"], "cuda");
    EXPECT_EQ(j["variants"][0]["status"], "unavailable");
    EXPECT_EQ(j["variants"][0]["reason"], "library_missing") << j["variants"][0].dump();
    EXPECT_EQ(j["variants"][1]["status"], "ok");
    EXPECT_EQ(j["fastest"], "cpu");
    EXPECT_FALSE(j.contains("chain"));  // nothing selected without --select
}

TEST_F(BenchTest, TheTableNamesEveryVariantAndTheFastest) {
    auto args = quick({"--backend", "cpu"});
    args.erase(std::find(args.begin(), args.end(), "--json"));
    const auto r = tsuku(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("prompt tok/s"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fastest: cpu"), std::string::npos) << r.out;
}

TEST_F(BenchTest, AnUnknownBackendIsAUsageError) {
    const auto r = tsuku({"llm", "bench", "--backend", "tpu"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("tpu"), std::string::npos) << r.err;
}
