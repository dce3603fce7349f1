// Model choice tables: which model each memory situation gets, with the real needs of the manifest's models.
#include "resolve/model_choice.h"

#include <gtest/gtest.h>

#include <set>

#include "common/error.h"
#include "model/memory_estimate.h"

using namespace tsuku;
using namespace tsuku::resolve;

namespace {

constexpr uint64_t MiB = 1ull << 20, GiB = 1ull << 30;

manifest::Model model(const std::string& name, uint64_t size, uint64_t need, bool synthetic = false) {
    manifest::Model m;
    m.name = name;
    m.artifact = {"https://example.org/" + name + ".gguf", std::string(64, 'a'), size};
    m.min_ram_bytes = need;
    m.min_vram_bytes = need;
    m.synthetic = synthetic;
    return m;
}

// The needs make-release computes for the real Qwen2.5 shapes (weights + KV at 4096 + compute buffers).
manifest::Manifest catalogue() {
    auto need = [](uint64_t size, uint64_t layers, uint64_t embd, uint64_t heads) {
        return model::estimate_memory({size, layers, embd, heads, 2, 151936}).total();
    };
    manifest::Manifest m;
    m.models = {model("synthetic-tiny", 16 * MiB, 340 * MiB, true),
                model("qwen2.5-0.5b", 491400032, need(491400032, 24, 896, 14)),
                model("qwen2.5-1.5b", 1117320736, need(1117320736, 28, 1536, 12)),
                model("qwen2.5-3b", 2104932768, need(2104932768, 36, 2048, 16))};
    m.default_model = "synthetic-tiny";
    return m;
}

MemoryBudget budget(const std::string& backend, std::optional<uint64_t> free_b, std::optional<uint64_t> total = {}) {
    return {backend, free_b, total, "test"};
}

std::string chosen(const MemoryBudget& b, std::set<std::string> present = {}, std::string setting = "auto") {
    const auto m = catalogue();
    present.insert("synthetic-tiny");  // the built-in default is always on the machine
    const auto c = choose_model(
        m, b, {setting}, [&](const manifest::Model& mo) { return present.count(mo.name) > 0; }, "/models");
    return c.model ? c.model->name : c.path.string();
}

const std::set<std::string> kAll = {"qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b"};

}  // namespace

TEST(ModelChoice, LargestModelThatFitsTheFreeMemory) {
    EXPECT_EQ(chosen(budget("cpu", 16 * GiB), kAll), "qwen2.5-3b");
    EXPECT_EQ(chosen(budget("cuda", 3 * GiB), kAll), "qwen2.5-3b");       // 3b needs ~2.4 GiB
    EXPECT_EQ(chosen(budget("cuda", 2560 * MiB), kAll), "qwen2.5-1.5b");  // not with the safety margin
    EXPECT_EQ(chosen(budget("cuda", 2 * GiB), kAll), "qwen2.5-1.5b");
    EXPECT_EQ(chosen(budget("vulkan", 1200 * MiB), kAll), "qwen2.5-0.5b");
    EXPECT_EQ(chosen(budget("cpu", 700 * MiB), kAll), "synthetic-tiny");
}

TEST(ModelChoice, FreeMemoryNotTotalDecides) {
    // A 24 GiB card with 1 GiB free (another program holds the rest) gets what fits in 1 GiB.
    EXPECT_EQ(chosen(budget("cuda", 1 * GiB, 24 * GiB), kAll), "synthetic-tiny");
}

TEST(ModelChoice, VulkanWithoutAMemoryBudgetAssumesPartOfTheHeapIsInUse) {
    EXPECT_EQ(chosen(budget("vulkan", std::nullopt, 8 * GiB), kAll), "qwen2.5-3b");
    EXPECT_EQ(chosen(budget("vulkan", std::nullopt, 2 * GiB), kAll), "qwen2.5-0.5b");  // 1.6 GiB assumed free
    std::string how;
    usable_bytes(budget("vulkan", std::nullopt, 8 * GiB), &how);
    EXPECT_NE(how.find("no free-memory figure"), std::string::npos) << how;
}

TEST(ModelChoice, FallbackFromGpuToCpuChoosesAgainForTheCpu) {
    // The GPU had room for 3b; the CPU fallback has 1.5 GiB of RAM free and gets a model that fits it.
    EXPECT_EQ(chosen(budget("cuda", 12 * GiB), kAll), "qwen2.5-3b");
    EXPECT_EQ(chosen(budget("cpu", 1536 * MiB), kAll), "qwen2.5-0.5b");
}

TEST(ModelChoice, OnlyModelsOnThisMachineAreChosenAndTheBestFitIsNamed) {
    const auto m = catalogue();
    const auto c = choose_model(
        m, budget("cpu", 16 * GiB), {"auto"}, [](const manifest::Model& mo) { return mo.synthetic; }, "/models");
    EXPECT_EQ(c.model->name, "synthetic-tiny");
    ASSERT_TRUE(c.best_fit);
    EXPECT_EQ(c.best_fit->name, "qwen2.5-3b");
    EXPECT_NE(c.why.find("tsuku llm install --model qwen2.5-3b"), std::string::npos) << c.why;
    EXPECT_EQ(c.path, "/models/synthetic-tiny.gguf");
}

TEST(ModelChoice, TooLittleMemoryIsAClearError) {
    try {
        chosen(budget("cpu", 300 * MiB), kAll);
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("not enough memory"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("synthetic-tiny, needs about 340 MiB"), std::string::npos) << e.what();
    }
}

TEST(ModelChoice, SettingNamesAModelOrAPath) {
    EXPECT_EQ(chosen(budget("cpu", 16 * GiB), kAll, "qwen2.5-0.5b"), "qwen2.5-0.5b");
    EXPECT_EQ(chosen(budget("cpu", 16 * GiB), {}, "/data/my.gguf"), "/data/my.gguf");
    const auto m = catalogue();
    const auto c = choose_model(
        m, budget("cpu", 16 * GiB), {"qwen2.5-1.5b"}, [](const manifest::Model&) { return false; }, "/models");
    EXPECT_TRUE(c.needs_download);
    EXPECT_THROW(chosen(budget("cpu", 16 * GiB), kAll, "llama-70b"), UserError);
}

TEST(ModelChoice, RealModelsRankAboveTheSyntheticOneWhateverTheirSize) {
    auto m = catalogue();
    manifest::Model small = m.models.front();  // the synthetic one, as a real model with a smaller file
    small.name = "real-but-small";
    small.synthetic = false;
    small.artifact.size = 8 * MiB;
    small.min_ram_bytes = small.min_vram_bytes = 330 * MiB;
    m.models.push_back(small);
    const auto c = choose_model(
        m, budget("cpu", 1 * GiB), {"auto"}, [](const manifest::Model&) { return true; }, "/models");
    EXPECT_EQ(c.model->name, "real-but-small");
    const auto ranked = ranked_models(m);
    EXPECT_EQ(ranked.front()->name, "qwen2.5-3b");
    EXPECT_EQ(ranked.back()->name, "synthetic-tiny");
}

TEST(ModelChoice, WhenNothingThatFitsIsHereTheBestFitIsTheModelToDownload) {
    const auto m = catalogue();
    const auto c = choose_model(
        m, budget("cpu", 16 * GiB), {"auto"}, [](const manifest::Model&) { return false; }, "/models");
    ASSERT_TRUE(c.model);
    EXPECT_EQ(c.model->name, "qwen2.5-3b");
    EXPECT_EQ(c.best_fit, c.model);
    EXPECT_TRUE(c.needs_download);
    EXPECT_EQ(c.path, "/models/qwen2.5-3b.gguf");
}

TEST(ModelChoice, TheBestFitIsTheBestModelThatFitsNotTheLargestOverall) {
    const auto m = catalogue();
    // 1.5 GiB free: the 0.5b fits, the larger ones do not; only the synthetic one is here.
    const auto c = choose_model(
        m, budget("cpu", 1536 * MiB), {"auto"}, [](const manifest::Model& mo) { return mo.synthetic; }, "/models");
    EXPECT_EQ(c.model->name, "synthetic-tiny");
    ASSERT_TRUE(c.best_fit);
    EXPECT_EQ(c.best_fit->name, "qwen2.5-0.5b");
    EXPECT_FALSE(c.needs_download);
}
