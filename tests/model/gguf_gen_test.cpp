// gguf-gen's q4_k_m is llama.cpp's Q4_K_M: the same shape written in f16 and quantized by the pinned libllama's own
// llama_model_quantize gets, tensor for tensor, the types gguf-gen writes directly. Two shapes cover both branches
// of the mix: tiny's rows (64, 128) are no multiple of 256, so every K-quant falls back (Q5_0, Q8_0) as in Qwen2.5
// 0.5B; tiny-k's rows are, so Q4_K and Q6_K apply as in 1.5B and 3B.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "gguf.h"
#include "llama.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

struct GgufFree {
    void operator()(gguf_context* c) const { gguf_free(c); }
};

struct Layout {
    std::map<std::string, std::string> tensor_types;  // name -> ggml type name
    uint32_t file_type = 0;
};

Layout read_layout(const fs::path& path) {
    gguf_init_params p{/*no_alloc=*/true, /*ctx=*/nullptr};
    std::unique_ptr<gguf_context, GgufFree> ctx(gguf_init_from_file(path.c_str(), p));
    Layout l;
    EXPECT_TRUE(ctx) << "cannot read " << path;
    if (!ctx) return l;
    for (int64_t i = 0; i < gguf_get_n_tensors(ctx.get()); ++i) {
        l.tensor_types[gguf_get_tensor_name(ctx.get(), i)] = ggml_type_name(gguf_get_tensor_type(ctx.get(), i));
    }
    const int64_t key = gguf_find_key(ctx.get(), "general.file_type");
    if (key >= 0) l.file_type = gguf_get_val_u32(ctx.get(), key);
    return l;
}

void generate(const std::string& shape, const std::string& type, const fs::path& out) {
    const auto r = tsuku::test::run_command(
        {tsuku::test::kGgufGen, "--vocab", tsuku::test::kVocab, "--shape", shape, "--type", type, "-o", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
}

class GgufGenQ4KM : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(GgufGenQ4KM, WritesTheTypesLlamaCppsQuantizerChooses) {
    const std::string shape = GetParam();
    tsuku::test::TempDir dir;
    const auto f16 = dir / "f16.gguf", ours = dir / "ours.gguf", theirs = dir / "theirs.gguf";
    ASSERT_NO_FATAL_FAILURE(generate(shape, "f16", f16));
    ASSERT_NO_FATAL_FAILURE(generate(shape, "q4_k_m", ours));

    llama_backend_init();
    auto params = llama_model_quantize_default_params();
    params.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M;
    params.nthread = 2;
    ASSERT_EQ(llama_model_quantize(f16.c_str(), theirs.c_str(), &params), 0u);

    const Layout a = read_layout(ours), b = read_layout(theirs);
    EXPECT_EQ(a.file_type, static_cast<uint32_t>(LLAMA_FTYPE_MOSTLY_Q4_K_M));
    EXPECT_EQ(a.file_type, b.file_type);
    ASSERT_EQ(a.tensor_types.size(), b.tensor_types.size());
    std::set<std::string> types;
    for (const auto& [name, type] : b.tensor_types) {
        ASSERT_TRUE(a.tensor_types.count(name)) << name;
        EXPECT_EQ(a.tensor_types.at(name), type) << name;
        types.insert(type);
    }
    // Each shape really takes its branch of the mix (the comparison alone would pass on two wrong files alike).
    const std::set<std::string> expected =
        shape == "tiny" ? std::set<std::string>{"f32", "q5_0", "q8_0"} : std::set<std::string>{"f32", "q4_K", "q6_K"};
    EXPECT_EQ(types, expected);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GgufGenQ4KM, ::testing::Values("tiny", "tiny-k"));
