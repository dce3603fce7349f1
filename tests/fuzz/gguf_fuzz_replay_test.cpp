// Always built: replays the committed corpus (tests/fuzz/gguf_corpus) and a few thousand seeded mutations of a real
// GGUF header written by the pinned ggml through the fuzz entry point. It must only ever throw GgufError.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "ggml.h"
#include "gguf.h"
#include "gguf_fuzz_entry.h"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// A small but complete GGUF, written by ggml itself: metadata of every kind and three tensors with their data.
Bytes real_gguf(const fs::path& dir) {
    ggml_init_params ip{1 << 20, nullptr, false};
    std::unique_ptr<ggml_context, void (*)(ggml_context*)> ctx(ggml_init(ip), &ggml_free);
    std::unique_ptr<gguf_context, void (*)(gguf_context*)> g(gguf_init_empty(), &gguf_free);
    gguf_set_val_str(g.get(), "general.architecture", "qwen2");
    gguf_set_val_str(g.get(), "general.name", "fuzz seed");
    gguf_set_val_u32(g.get(), "qwen2.block_count", 2);
    gguf_set_val_f32(g.get(), "qwen2.rope.freq_base", 1e6f);
    gguf_set_val_bool(g.get(), "tokenizer.ggml.add_bos_token", false);
    gguf_set_val_u32(g.get(), "general.alignment", 32);
    const char* tokens[] = {"a", "b", "<|im_end|>", "hello"};
    gguf_set_arr_str(g.get(), "tokenizer.ggml.tokens", tokens, 4);
    const int32_t types[] = {1, 1, 3, 1};
    gguf_set_arr_data(g.get(), "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 4);
    const std::pair<const char*, ggml_type> shapes[] = {
        {"blk.0.a.weight", GGML_TYPE_F32}, {"blk.1.b.weight", GGML_TYPE_Q8_0}, {"c.weight", GGML_TYPE_F16}};
    for (const auto& [name, type] : shapes) {
        ggml_tensor* t = ggml_new_tensor_2d(ctx.get(), type, 64, 2);
        ggml_set_name(t, name);
        std::memset(t->data, 0x11, ggml_nbytes(t));
        gguf_add_tensor(g.get(), t);
    }
    const fs::path file = dir / "seed.gguf";
    if (!gguf_write_to_file(g.get(), file.c_str(), false)) throw std::runtime_error("ggml could not write the seed");
    return read_bytes(file);
}

// One random edit of the kinds that break parsers: flips, interesting integers, cuts, insertions, deletions.
void mutate(Bytes& b, std::mt19937_64& rng) {
    const auto at = [&] { return b.empty() ? size_t{0} : static_cast<size_t>(rng() % b.size()); };
    switch (rng() % 6) {
        case 0:
            if (!b.empty()) b[at()] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
        case 1:
            if (!b.empty()) b[at()] = static_cast<uint8_t>(rng());
            break;
        case 2: {  // an interesting 8-byte value where a count, length or offset may sit
            static constexpr uint64_t kValues[] = {
                0, 1, 0x7f, 0xff, 0xffffffffull, 0x80000000ull, ~0ull, 1ull << 40, 1ull << 62, 0x7fffffffffffffffull};
            const uint64_t v = kValues[rng() % std::size(kValues)];
            const size_t p = at();
            for (size_t i = 0; i < 8 && p + i < b.size(); ++i) b[p + i] = static_cast<uint8_t>(v >> (8 * i));
            break;
        }
        case 3: b.resize(at()); break;
        case 4:
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(at()), 1 + rng() % 16, static_cast<uint8_t>(rng()));
            break;
        case 5:
            if (!b.empty()) {
                const size_t p = at();
                b.erase(b.begin() + static_cast<std::ptrdiff_t>(p),
                        b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), p + 1 + rng() % 16)));
            }
            break;
    }
}

void run(const Bytes& b) { tsuku::fuzz::gguf_header_one_input(b.data(), b.size()); }

}  // namespace

TEST(GgufFuzz, TheCommittedCorpusReplaysCleanly) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(TSUKU_GGUF_CORPUS)) {
        SCOPED_TRACE(e.path().filename().string());
        EXPECT_NO_THROW(run(read_bytes(e.path())));
        ++n;
    }
    EXPECT_GE(n, 8u) << "the corpus is missing";
}

TEST(GgufFuzz, TheRealHeaderIsAcceptedAsIs) {
    const fs::path dir = fs::temp_directory_path() / ("tsk-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Bytes seed = real_gguf(dir);
    fs::remove_all(dir);
    const auto g = tsuku::model::parse_gguf(seed.data(), seed.size());
    EXPECT_EQ(g.tensors.size(), 3u);
    EXPECT_EQ(g.get_string("general.architecture"), "qwen2");
    EXPECT_EQ(g.array_length("tokenizer.ggml.tokens"), 4u);
}

TEST(GgufFuzz, ThousandsOfMutationsOfARealHeaderOnlyEverThrowGgufError) {
    const fs::path dir = fs::temp_directory_path() / ("tsk-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Bytes seed = real_gguf(dir);
    fs::remove_all(dir);
    std::mt19937_64 rng(20240611);  // fixed: a failure names its iteration and replays exactly
    for (int i = 0; i < 5000; ++i) {
        Bytes b = seed;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) mutate(b, rng);
        try {
            run(b);
        } catch (const std::exception& ex) {
            FAIL() << "mutation " << i << " (" << b.size() << " bytes): " << typeid(ex).name() << ": " << ex.what();
        }
    }
}
