// Saved prompt states on disk (issue 21), without a model: the file format and its checks, atomic writes under a
// concurrent reader, the folder's budget and least-recently-used eviction, and prune. The state bytes here are
// arbitrary; tests/integration/prompt_cache_test.cpp restores real ones into a real server.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <numeric>
#include <thread>

#include "common/byte_size.h"
#include "common/home.h"
#include "server/prompt_state_file.h"
#include "server/prompt_state_prune.h"
#include "server/prompt_store.h"
#include "support/temp_dir.h"

using namespace tsuku;
using namespace tsuku::server;
namespace fs = std::filesystem;

namespace {

StateIdentity identity_for(const fs::path& model, const std::string& backend = "cpu") {
    StateIdentity id;
    EXPECT_TRUE(stat_model(model, id));
    id.backend = backend;
    id.addon_version = "1.2.3";
    id.llama_cpp = "b1";
    id.context_tokens = 4096;
    id.kv_settings = "type_k f16 type_v f16";
    return id;
}

std::vector<int32_t> tokens_from(int32_t first, size_t n) {
    std::vector<int32_t> t(n);
    std::iota(t.begin(), t.end(), first);
    return t;
}

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
    return b;
}

fs::path write_state(const fs::path& dir, const StateIdentity& id, const std::vector<int32_t>& tokens, uint32_t prefix,
                     const std::vector<uint8_t>& state) {
    const fs::path file = dir / state_file_name(id, std::span(tokens.data(), prefix));
    write_state_file(file, StateHeader{id, prefix, 0, ""}, tokens, state);
    return file;
}

class PromptStateTest : public ::testing::Test {
protected:
    void SetUp() override {
        test::write_file(model, "not really a model");
        fs::create_directories(dir);
    }
    test::TempDir tmp;
    fs::path model = tmp / "m.gguf";
    fs::path dir = tmp / "kv";
};

}  // namespace

TEST(ByteSize, ParsesAndFormatsExactly) {
    EXPECT_EQ(parse_byte_size("0"), 0u);
    EXPECT_EQ(parse_byte_size("1GiB"), uint64_t{1} << 30);
    EXPECT_EQ(parse_byte_size("3KB"), 3000u);
    EXPECT_EQ(parse_byte_size("17"), 17u);
    EXPECT_EQ(parse_byte_size("17B"), 17u);
    EXPECT_FALSE(parse_byte_size("1.5GiB"));
    EXPECT_FALSE(parse_byte_size("1 GiB"));
    EXPECT_FALSE(parse_byte_size("5PiB"));
    EXPECT_FALSE(parse_byte_size("99999999999TiB")) << "overflow";
    EXPECT_EQ(format_byte_size(uint64_t{3} << 29), "1536MiB");
    EXPECT_EQ(format_byte_size(2'000'000'000), "2GB");
    EXPECT_EQ(format_byte_size(1023), "1023");
}

TEST_F(PromptStateTest, RoundTripsAndIsPrivate) {
    const auto id = identity_for(model);
    const auto tokens = tokens_from(100, 300);
    const auto file = write_state(dir, id, tokens, 260, bytes(5000, 1));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string why;
    std::vector<uint8_t> state;
    const auto head = read_state(file, state, why);
    ASSERT_TRUE(head) << why;
    EXPECT_EQ(head->header.identity, id);
    EXPECT_EQ(head->header.prefix_tokens, 260u);
    EXPECT_EQ(head->tokens, tokens);
    EXPECT_EQ(state, bytes(5000, 1));
    EXPECT_TRUE(file.filename().string().starts_with(identity_hash(id) + "-"));
}

TEST_F(PromptStateTest, RefusesTruncatedCorruptAndMisnamedFiles) {
    const auto id = identity_for(model);
    const auto tokens = tokens_from(5, 300);
    const auto file = write_state(dir, id, tokens, 300, bytes(4000, 2));
    std::string why;
    std::vector<uint8_t> state;

    fs::resize_file(file, fs::file_size(file) - 1);  // truncated
    EXPECT_FALSE(read_state_head(file, why));
    EXPECT_NE(why.find("truncated"), std::string::npos) << why;

    write_state(dir, id, tokens, 300, bytes(4000, 2));
    {  // one bit flipped in the state
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-10, std::ios::end);
        f.put('\x5a');
    }
    ASSERT_TRUE(read_state_head(file, why)) << "the head is intact: " << why;
    EXPECT_FALSE(read_state(file, state, why));
    EXPECT_NE(why.find("corrupt"), std::string::npos) << why;

    // Another backend's state under this backend's name.
    auto other = id;
    other.backend = "vulkan";
    write_state_file(file, StateHeader{other, 300, 0, ""}, tokens, bytes(4000, 2));
    EXPECT_FALSE(read_state_head(file, why));
    EXPECT_NE(why.find("does not match its name"), std::string::npos) << why;

    test::write_file(file, "garbage");
    EXPECT_FALSE(read_state_head(file, why));
    bool missing = false;
    EXPECT_FALSE(read_state_head(dir / "absent.kv", why, &missing));
    EXPECT_TRUE(missing);
}

// The file appears whole or not at all: a reader that opens it while another thread keeps replacing it (with
// contents of different sizes) always reads a complete, checked state.
TEST_F(PromptStateTest, AConcurrentReaderNeverSeesAPartialFile) {
    const auto id = identity_for(model);
    const auto tokens = tokens_from(1, 400);
    const fs::path file = dir / state_file_name(id, std::span(tokens.data(), 300));
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 100; ++i) {
            write_state_file(file, StateHeader{id, 300, 0, ""}, tokens,
                             bytes(20000 + static_cast<size_t>(i % 7) * 30000, static_cast<uint8_t>(i)));
        }
        done = true;
    });
    int whole = 0, bad = 0;
    std::string last_why;
    while (!done) {
        std::string why;
        bool missing = false;
        std::vector<uint8_t> state;
        if (read_state(file, state, why, &missing)) {
            ++whole;
        } else if (!missing) {
            ++bad, last_why = why;
        }
    }
    writer.join();
    EXPECT_EQ(bad, 0) << last_why;
    EXPECT_GT(whole, 0);
    // No temporary file is left behind.
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        ++files;
        EXPECT_EQ(e.path(), file);
    }
    EXPECT_EQ(files, 1u);
}

TEST_F(PromptStateTest, StoreFindsTheLongestSavedPrefixAndRemovesBadFiles) {
    const auto id = identity_for(model);
    const auto a = tokens_from(1000, 400);
    write_state(dir, id, a, 300, bytes(1000, 3));
    auto b = a;  // the same first 350 tokens, then another turn
    for (size_t i = 350; i < b.size(); ++i) b[i] = -1;
    write_state(dir, id, b, 350, bytes(1000, 4));
    const fs::path junk = dir / (identity_hash(id) + "-0000000000000000.kv");
    test::write_file(junk, "TSUKUKV1 not really");
    const auto other_backend = identity_for(model, "vulkan");
    const auto foreign = write_state(dir, other_backend, a, 300, bytes(1000, 5));

    PromptStore store(dir, 1 << 20, id);
    EXPECT_FALSE(fs::exists(junk)) << "a bad file of this identity is removed at start";
    EXPECT_TRUE(fs::exists(foreign)) << "another backend's state is not this server's to judge";

    auto prompt = a;
    prompt.resize(390);
    auto found = store.find(prompt, 0);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->tokens, a) << "holds 390 of the prompt's tokens; b holds 350";
    EXPECT_EQ(found->state, bytes(1000, 3));
    EXPECT_FALSE(store.find(prompt, 390)) << "nothing beyond what the context holds already";
    std::vector<int32_t> unrelated = tokens_from(1000, 299);
    EXPECT_FALSE(store.find(unrelated, 0)) << "the prompt must hold a state's whole prefix";

    // A state that goes bad after the index was built is removed when it is needed, and the next best used.
    const fs::path a_file = dir / state_file_name(id, std::span(a.data(), 300));
    fs::resize_file(a_file, 100);
    found = store.find(prompt, 0);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->tokens, b);
    EXPECT_FALSE(fs::exists(a_file));
}

TEST_F(PromptStateTest, BudgetEvictsTheLeastRecentlyUsed) {
    const auto id = identity_for(model);
    const auto a = tokens_from(1, 300), b = tokens_from(2, 300), c = tokens_from(3, 300);
    const auto name = [&](const std::vector<int32_t>& t) { return state_file_name(id, std::span(t.data(), 300)); };
    const size_t state = 100'000;
    PromptStore store(dir, 250'000, id);  // two states fit, not three
    ASSERT_TRUE(store.save(name(a), 300, a, bytes(state, 1)));
    ASSERT_TRUE(store.save(name(b), 300, b, bytes(state, 2)));
    ASSERT_TRUE(store.find(a, 0)) << "a is used: b is now the least recently used";
    ASSERT_TRUE(store.save(name(c), 300, c, bytes(state, 3)));
    EXPECT_TRUE(fs::exists(dir / name(a)));
    EXPECT_FALSE(fs::exists(dir / name(b)));
    EXPECT_TRUE(fs::exists(dir / name(c)));
    EXPECT_FALSE(store.has(name(b)));
    EXPECT_EQ(store.usage().files, 2u);
    EXPECT_LE(store.usage().bytes, 250'000u);
    EXPECT_FALSE(store.save(name(b), 300, b, bytes(300'000, 4))) << "a state alone over the budget is not saved";

    // A smaller budget at the next start evicts down to it, oldest first.
    PromptStore smaller(dir, 150'000, id);
    EXPECT_EQ(smaller.usage().files, 1u);
    EXPECT_TRUE(fs::exists(dir / name(c)));
}

TEST_F(PromptStateTest, PruneRemovesStatesNoInstalledServerCanLoad) {
    const Home home(tmp.path());
    const fs::path kv = home.prompt_cache_dir();
    fs::create_directories(kv);
    fs::create_directories(home.tools_dir() / "1.2.3" / "cpu");
    test::write_file(home.tools_dir() / "1.2.3" / "cpu" / "variant.json", "{}");
    const auto tokens = tokens_from(1, 300);
    const auto keep = write_state(kv, identity_for(model), tokens, 300, bytes(100, 1));
    const auto no_variant = write_state(kv, identity_for(model, "vulkan"), tokens, 300, bytes(100, 1));
    const fs::path gone_model = tmp / "gone.gguf";
    test::write_file(gone_model, "x");
    const auto model_gone = write_state(kv, identity_for(gone_model), tokens, 300, bytes(100, 1));
    fs::remove(gone_model);
    const fs::path junk = kv / "junk.kv";
    test::write_file(junk, "x");
    const fs::path fresh_temp = kv / ".a.kv.tmp-1-0";  // a save in progress
    test::write_file(fresh_temp, "x");

    const auto removed = prune_prompt_states(home);
    EXPECT_EQ(removed.size(), 3u);
    EXPECT_TRUE(fs::exists(keep));
    EXPECT_FALSE(fs::exists(no_variant));
    EXPECT_FALSE(fs::exists(model_gone));
    EXPECT_FALSE(fs::exists(junk));
    EXPECT_TRUE(fs::exists(fresh_temp));
}
