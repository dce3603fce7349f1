// The measured choice: which measurement wins, and how it reorders the chain that detection resolved from the
// manifest's static `prefer` order (and when it must not).
#include "resolve/measured_choice.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/home.h"
#include "platform/verdict.h"
#include "support/temp_dir.h"

using namespace tsuku;
using namespace tsuku::resolve;
using tsuku::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A machine where detection finds cuda and vulkan viable: the static order gives cuda, vulkan, cpu.
std::vector<Backend> static_chain(std::optional<Backend> forced = {}, bool fallback = true) {
    const auto policy = platform::builtin_linux_policy();
    std::vector<platform::BackendVerdict> verdicts(3);
    verdicts[0].backend = Backend::cpu;
    verdicts[1].backend = Backend::vulkan;
    verdicts[2].backend = Backend::cuda;
    for (auto& v : verdicts) v.viable = true;
    return platform::resolve_chain(policy, verdicts, forced, fallback);
}

MeasuredChoice measured(Backend winner, std::string fingerprint = "fp-here") {
    MeasuredChoice c;
    c.fingerprint = std::move(fingerprint);
    c.backend = winner;
    c.model = "m.gguf";
    c.workload = {200, 64};
    c.unix_time = 1700000000;
    c.measurements = {{Backend::cuda, 900, 40}, {Backend::vulkan, 1200, 55}, {Backend::cpu, 90, 20}};
    return c;
}

ChainContext here() { return {"fp-here", std::nullopt, "", true, false}; }

}  // namespace

TEST(MeasuredChoice, StaticOrderWithoutAMeasurement) {
    const auto chain = static_chain();
    ASSERT_EQ(chain, (std::vector<Backend>{Backend::cuda, Backend::vulkan, Backend::cpu}));
    const auto r = apply_measured_choice(chain, std::nullopt, here());
    EXPECT_EQ(r.chain, chain);
    EXPECT_FALSE(r.applied);
    EXPECT_TRUE(r.note.empty());
}

TEST(MeasuredChoice, TheMeasuredWinnerLeadsAndTheRestKeepsItsOrder) {
    const auto r = apply_measured_choice(static_chain(), measured(Backend::vulkan), here());
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(r.chain, (std::vector<Backend>{Backend::vulkan, Backend::cuda, Backend::cpu}));
    EXPECT_NE(r.note.find("vulkan"), std::string::npos) << r.note;

    const auto cpu = apply_measured_choice(static_chain(), measured(Backend::cpu), here());
    EXPECT_EQ(cpu.chain, (std::vector<Backend>{Backend::cpu, Backend::cuda, Backend::vulkan}));
}

TEST(MeasuredChoice, AWinnerDetectionLeftOutIsPutFirstBecauseItRanHere) {
    // e.g. vulkan on a software device: not viable for detection, measured with the permission.
    auto choice = measured(Backend::vulkan);
    choice.needs_software_devices = true;
    auto context = here();
    context.software_devices_allowed = true;
    const auto r = apply_measured_choice({Backend::cpu}, choice, context);
    EXPECT_EQ(r.chain, (std::vector<Backend>{Backend::vulkan, Backend::cpu}));

    context.software_devices_allowed = false;  // without the permission it would exit 78: keep the static chain
    const auto without = apply_measured_choice({Backend::cpu}, choice, context);
    EXPECT_FALSE(without.applied);
    EXPECT_EQ(without.chain, (std::vector<Backend>{Backend::cpu}));
    EXPECT_NE(without.note.find("TSUKU_LLM_ALLOW_SOFTWARE_DEVICES"), std::string::npos) << without.note;
}

TEST(MeasuredChoice, ANewFingerprintMakesItStale) {
    const auto r = apply_measured_choice(static_chain(), measured(Backend::cpu, "fp-old-driver"), here());
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.chain, static_chain());
    EXPECT_NE(r.note.find("stale"), std::string::npos) << r.note;
}

TEST(MeasuredChoice, AnExplicitBackendWins) {
    auto context = here();
    context.forced = Backend::cuda;
    context.forced_by = "llm.backend";
    const auto chain = static_chain(Backend::cuda);
    const auto r = apply_measured_choice(chain, measured(Backend::vulkan), context);
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.chain, chain);
    EXPECT_NE(r.note.find("llm.backend = cuda"), std::string::npos) << r.note;
}

TEST(MeasuredChoice, FallbackOffKeepsOnlyTheWinner) {
    auto context = here();
    context.fallback = false;
    const auto r = apply_measured_choice(static_chain(std::nullopt, false), measured(Backend::vulkan), context);
    EXPECT_EQ(r.chain, (std::vector<Backend>{Backend::vulkan}));
}

TEST(MeasuredChoice, FastestIsTheLeastTimeForTheWorkload) {
    // A fast prompt does not make up for slow generation when the workload is mostly generation, and vice versa.
    const std::vector<Measurement> ms{{Backend::vulkan, 1000, 10}, {Backend::cpu, 100, 20}};
    EXPECT_EQ(fastest(ms, {200, 64})->backend, Backend::cpu);      // 6.6 s against 5.2 s
    EXPECT_EQ(fastest(ms, {4000, 16})->backend, Backend::vulkan);  // 5.6 s against 40.8 s
    EXPECT_FALSE(fastest({{Backend::cuda, 0, 50}}, {200, 64}));    // a rate missing: not a candidate
    EXPECT_FALSE(fastest({}, {200, 64}));
}

TEST(MeasuredChoice, SavedAndLoadedPrivately) {
    TempDir dir;
    const auto file = Home(dir.path()).measured_choice_path();
    EXPECT_FALSE(load_measured_choice(file));
    auto c = measured(Backend::vulkan);
    c.needs_software_devices = true;
    save_measured_choice(file, c);
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto back = load_measured_choice(file);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->backend, Backend::vulkan);
    EXPECT_EQ(back->fingerprint, "fp-here");
    EXPECT_TRUE(back->needs_software_devices);
    EXPECT_EQ(back->workload.prompt_tokens, 200);
    ASSERT_EQ(back->measurements.size(), 3u);
    EXPECT_EQ(back->measurements[1].backend, Backend::vulkan);
    EXPECT_DOUBLE_EQ(back->measurements[1].gen_tps, 55);
    forget_measured_choice(file);
    EXPECT_FALSE(load_measured_choice(file));
}

TEST(MeasuredChoice, AnUnreadableFileIsNoChoice) {
    TempDir dir;
    const auto file = Home(dir.path()).measured_choice_path();
    fs::create_directories(file.parent_path());
    tsuku::test::write_file(file, "{not json");
    EXPECT_FALSE(load_measured_choice(file));
    tsuku::test::write_file(file, R"({"backend": "gpu9000", "fingerprint": "x"})");
    EXPECT_FALSE(load_measured_choice(file));
}

TEST(MeasuredChoice, ADetectionReportGetsTheChoiceFromTheStateFolder) {
    TempDir dir;
    platform::DetectionReport report;
    report.fingerprint = "fp-here";
    report.chain = static_chain();
    save_measured_choice(Home(dir.path()).measured_choice_path(), measured(Backend::cpu));
    const auto note = apply_measured_choice(report, Home(dir.path()).measured_choice_path(), Environment::fixed({}));
    EXPECT_EQ(report.chain, (std::vector<Backend>{Backend::cpu, Backend::cuda, Backend::vulkan}));
    EXPECT_NE(note.find("cpu"), std::string::npos);
}
