#include "model/gguf_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "support/paths.h"
#include "support/temp_dir.h"

using namespace tsuku::model;
namespace fs = std::filesystem;

namespace {

// Writes GGUF byte by byte, so every field can be made to lie.
struct GgufBytes {
    std::string b;
    template <class T>
    GgufBytes& put(T v) {
        b.append(reinterpret_cast<const char*>(&v), sizeof v);
        return *this;
    }
    GgufBytes& str(const std::string& s) {
        put<uint64_t>(s.size());
        b += s;
        return *this;
    }
    GgufBytes& header(uint32_t version, uint64_t tensors, uint64_t kv) {
        b += "GGUF";
        return put(version).put(tensors).put(kv);
    }
    GgufBytes& kv_u32(const std::string& k, uint32_t v) { return str(k).put<uint32_t>(4).put(v); }
    GgufBytes& kv_str(const std::string& k, const std::string& v) { return str(k).put<uint32_t>(8).str(v); }
    GgufBytes& tensor_f32(const std::string& name, uint64_t n, uint64_t offset) {
        return str(name).put<uint32_t>(1).put<uint64_t>(n).put<uint32_t>(0).put<uint64_t>(offset);
    }
    GgufBytes& pad(size_t align = 32) {
        while (b.size() % align) b += '\0';
        return *this;
    }
};

GgufBytes valid_file() {
    GgufBytes g;
    g.header(3, 1, 2).kv_str("general.architecture", "qwen2").kv_u32("qwen2.block_count", 2);
    g.tensor_f32("blk.1.w", 8, 0).pad();
    g.b.append(8 * 4, '\1');
    return g;
}

fs::path write(const tsuku::test::TempDir& dir, const std::string& bytes) {
    const auto p = dir / "m.gguf";
    tsuku::test::write_file(p, bytes);
    return p;
}

GgufProblem problem_of(const fs::path& p) {
    try {
        read_gguf(p);
    } catch (const GgufError& e) {
        return e.problem();
    }
    ADD_FAILURE() << "no error for " << p;
    return GgufProblem::bad_header;
}

}  // namespace

TEST(GgufReader, ReadsAValidFile) {
    tsuku::test::TempDir dir;
    const auto g = read_gguf(write(dir, valid_file().b));
    EXPECT_EQ(g.version, 3u);
    EXPECT_EQ(g.get_string("general.architecture"), "qwen2");
    EXPECT_EQ(g.get_uint("qwen2.block_count"), 2u);
    ASSERT_EQ(g.tensors.size(), 1u);
    EXPECT_EQ(g.tensors[0].bytes, 32u);
    EXPECT_EQ(g.data_offset % 32, 0u);
}

TEST(GgufReader, ReadsTheRealSyntheticModel) {
    const auto g = read_gguf(tsuku::test::kTinyModel);
    EXPECT_EQ(g.get_string("general.architecture"), "qwen2");
    EXPECT_GT(g.array_length("tokenizer.ggml.tokens").value_or(0), 150000u);
    EXPECT_TRUE(g.get_string("tokenizer.chat_template").has_value());
    EXPECT_EQ(g.data_offset + g.tensor_bytes(), g.file_size);  // tightly packed, nothing missing
}

TEST(GgufReader, NamesEachKindOfDamage) {
    tsuku::test::TempDir dir;
    EXPECT_EQ(problem_of(dir / "absent.gguf"), GgufProblem::not_found);
    EXPECT_EQ(problem_of(write(dir, "<html>404 Not Found</html>")), GgufProblem::not_gguf);
    EXPECT_EQ(problem_of(write(dir, "GG")), GgufProblem::not_gguf);

    GgufBytes v1;
    v1.header(1, 0, 0);
    EXPECT_EQ(problem_of(write(dir, v1.b)), GgufProblem::unsupported_version);

    auto full = valid_file().b;
    EXPECT_EQ(problem_of(write(dir, full.substr(0, full.size() - 1))), GgufProblem::truncated);  // data cut short
    EXPECT_EQ(problem_of(write(dir, full.substr(0, 40))), GgufProblem::truncated);               // header cut short

    GgufBytes lying_counts;
    lying_counts.header(3, 1ull << 40, 1);
    EXPECT_EQ(problem_of(write(dir, lying_counts.b)), GgufProblem::bad_header);

    GgufBytes huge_string;
    huge_string.header(3, 0, 1).str("k").put<uint32_t>(8).put<uint64_t>(1ull << 62);
    EXPECT_EQ(problem_of(write(dir, huge_string.b)), GgufProblem::bad_header);

    GgufBytes bad_type;
    bad_type.header(3, 0, 1).str("k").put<uint32_t>(99);
    EXPECT_EQ(problem_of(write(dir, bad_type.b)), GgufProblem::bad_header);

    GgufBytes out_of_file;
    out_of_file.header(3, 1, 0).tensor_f32("w", 8, 1 << 20).pad();
    EXPECT_EQ(problem_of(write(dir, out_of_file.b)), GgufProblem::truncated);

    GgufBytes unknown_tensor_type;
    unknown_tensor_type.header(3, 1, 0).str("w").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(77).put<uint64_t>(0);
    EXPECT_EQ(problem_of(write(dir, unknown_tensor_type.b)), GgufProblem::bad_tensor);

    GgufBytes dup;
    dup.header(3, 0, 2).kv_u32("a", 1).kv_u32("a", 2);
    EXPECT_EQ(problem_of(write(dir, dup.b)), GgufProblem::bad_header);
}

TEST(GgufReader, ErrorMessagesNameTheFileAndTheProblem) {
    tsuku::test::TempDir dir;
    auto full = valid_file().b;
    const auto p = write(dir, full.substr(0, full.size() - 4));
    try {
        read_gguf(p);
        FAIL();
    } catch (const GgufError& e) {
        EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
    }
}
