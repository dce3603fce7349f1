// GGUF headers that lie about the shape llama.cpp trusts at load: the real model with one value changed is refused
// by the header check (in process) and by the real server's model check with exit 65 naming the key, before
// llama.cpp sees the file, so the crash it would cause is never blamed on a backend.
#include <gtest/gtest.h>

#include <cstring>

#include "common/exit_codes.h"
#include "lifecycle/server_process.h"
#include "model/gguf_reader.h"
#include "support/paths.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;

namespace {

// The tiny model with the u32 value of `key` replaced.
std::string with_value(const std::string& key, uint32_t value) {
    std::string bytes = read_file(kTinyModel);
    std::string needle(8, '\0');
    const uint64_t n = key.size();
    std::memcpy(needle.data(), &n, 8);
    needle += key;
    const size_t at = bytes.find(needle);
    if (at == std::string::npos) throw std::runtime_error("the tiny model has no key " + key);
    uint32_t type = 0;
    std::memcpy(&type, bytes.data() + at + needle.size(), 4);
    if (type != 4) throw std::runtime_error(key + " is not a u32 in the tiny model");
    std::memcpy(bytes.data() + at + needle.size() + 4, &value, 4);
    return bytes;
}

std::string refusal(const std::string& bytes) {
    TempDir dir;
    write_file(dir / "m.gguf", bytes);
    try {
        tsuku::model::read_gguf(dir / "m.gguf");
    } catch (const tsuku::model::GgufError& e) {
        EXPECT_EQ(e.problem(), tsuku::model::GgufProblem::bad_header) << e.what();
        return e.what();
    }
    return "";
}

TEST(GgufFaults, TheTinyModelItselfPasses) { EXPECT_EQ(refusal(read_file(kTinyModel)), ""); }

TEST(GgufFaults, EachLyingCountIsRefusedNamingTheKey) {
    const struct {
        const char* key;
        uint32_t value;
    } lies[] = {
        {"qwen2.block_count", 4'000'000'000u},  // the reproduction
        {"qwen2.block_count", 0},               // no layers
        {"qwen2.block_count", 400},             // under llama.cpp's 512, but the tensor list has fewer layers
        {"qwen2.embedding_length", 4'000'000'000u},
        {"qwen2.embedding_length", 0},
        {"qwen2.attention.head_count", 4'000'000'000u},
        {"qwen2.attention.head_count_kv", 0},
        {"qwen2.attention.head_count_kv", 4'000'000'000u},
    };
    for (const auto& lie : lies) {
        SCOPED_TRACE(std::string(lie.key) + " = " + std::to_string(lie.value));
        const std::string why = refusal(with_value(lie.key, lie.value));
        EXPECT_NE(why.find(std::string("key '") + lie.key + "'"), std::string::npos) << why;
    }
}

TEST(GgufFaults, TheServerRefusesFourBillionLayersWithExit65BeforeLoading) {
    ServerHarness server(kServerCpu);
    const fs::path model = server.dir() / "layers.gguf";
    write_file(model, with_value("qwen2.block_count", 4'000'000'000u));
    const auto run = server.start(model);
    EXPECT_EQ(run.outcome.exit_code, tsuku::to_int(tsuku::ExitCode::model_invalid)) << run.log;
    EXPECT_NE(run.log.find("qwen2.block_count"), std::string::npos) << run.log;
    EXPECT_NE(run.log.find("4000000000"), std::string::npos) << run.log;
    EXPECT_FALSE(fs::exists(server.socket()));
}

}  // namespace
