// The persistent prompt cache (issue 21) on real servers (cpu variant, synthetic tiny model, real sockets, real
// files): a server saves a long prefix's state, a later server restores it and answers exactly as a server that
// never stopped; bad states are removed and the prompt evaluated; the budget evicts the least recently used.
// Replies are compared under a fixed seed (--seed): the model's text is noise, but the same noise for the same
// keys and values.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "integration/cli_fixture.h"
#include "server/prompt_state_file.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::call_complete;
using tsuku::test::count_in;
using tsuku::test::ServerHarness;
using tsuku::test::stub_for;
using tsuku::test::wait_for_log;

namespace {

// A system prompt of several hundred tokens (over the 256 a prefix needs), distinct from its first word on.
std::string system_prompt(const std::string& tag) {
    std::string s = tag + ": you write installation recipes for tsuku.";
    for (int i = 0; i < 60; ++i) s += " Rule " + std::to_string(i) + ": keep every step verifiable and small.";
    return s;
}

v1::CompletionRequest request(const std::string& tag, const std::string& question) {
    auto r = tsuku::test::user_request(question, 12);
    r.set_system_prompt(system_prompt(tag));
    return r;
}

struct Reply {
    std::string content;
    int cached = 0;
    int input = 0;
};

std::set<std::string> states_in(const fs::path& dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
    return out;
}

// One server of the test: started with a fixed seed and, when `cache` is not empty, that cache folder.
class Server {
public:
    explicit Server(const fs::path& cache, const std::string& budget = "1073741824",
                    const fs::path& model = tsuku::test::kTinyModel) {
        std::vector<std::string> args = {"--idle-timeout", "0", "--seed", "7", "--threads", "1"};
        if (!cache.empty()) args.insert(args.end(), {"--prompt-cache", cache.string(), "--prompt-cache-size", budget});
        const auto run = harness_.start(model, args);
        EXPECT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        stub_ = stub_for(harness_.socket());
    }
    Reply complete(const v1::CompletionRequest& r) {
        v1::CompletionResponse resp;
        const auto s = call_complete(*stub_, r, &resp);
        EXPECT_TRUE(s.ok()) << s.error_message();
        return {resp.content(), resp.usage().cached_input_tokens(), resp.usage().input_tokens()};
    }
    v1::StatusResponse status() {
        grpc::ClientContext ctx;
        v1::StatusResponse out;
        EXPECT_TRUE(stub_->GetStatus(&ctx, v1::StatusRequest{}, &out).ok());
        return out;
    }
    // A graceful stop, which finishes the pending save.
    void stop() {
        grpc::ClientContext ctx;
        v1::ShutdownRequest req;
        req.set_graceful(true);
        v1::ShutdownResponse resp;
        ASSERT_TRUE(stub_->Shutdown(&ctx, req, &resp).ok());
        ASSERT_EQ(harness_.wait_exit(), 0);
    }
    std::string log() const { return tsuku::test::read_file(harness_.log_file()); }
    fs::path log_file() const { return harness_.log_file(); }

private:
    ServerHarness harness_{tsuku::test::kServerCpu};
    std::unique_ptr<v1::InferenceService::Stub> stub_;
};

class PromptCache : public ::testing::Test {
protected:
    // What a server that never stopped answers to `second` after `first` (no prompt cache: the in-memory one).
    Reply uninterrupted(const v1::CompletionRequest& first, const v1::CompletionRequest& second) {
        Server s({});
        s.complete(first);
        return s.complete(second);
    }
    // Saves `first`'s state into the cache folder with a server that then stops.
    std::string save(const v1::CompletionRequest& first) {
        Server s(kv);
        s.complete(first);
        s.stop();
        const auto files = states_in(kv);
        EXPECT_EQ(files.size(), 1u) << s.log();
        return files.empty() ? std::string() : *files.begin();
    }

    tsuku::test::TempDir tmp;
    fs::path kv = tmp / "kv";
};

}  // namespace

TEST_F(PromptCache, ARestartedServerRestoresThePrefixAndAnswersLikeOneThatNeverStopped) {
    const auto first = request("A", "How do I install ripgrep?");
    const auto second = request("A", "And fd?");
    const Reply reference = uninterrupted(first, second);
    ASSERT_GE(reference.cached, 256) << "the system prompt is the shared prefix";

    const std::string name = save(first);
    struct stat st {};
    ASSERT_EQ(::stat((kv / name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(::stat(kv.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    Server restarted(kv);
    const Reply r = restarted.complete(second);
    EXPECT_EQ(r.content, reference.content);
    EXPECT_EQ(r.cached, reference.cached) << "the restored tokens count as cached";
    EXPECT_EQ(r.input, reference.input);
    EXPECT_EQ(count_in(restarted.log(), "restored " + std::to_string(r.cached) +
                                            " prompt tokens from the saved "
                                            "state " +
                                            name),
              1u)
        << restarted.log();
    const auto status = restarted.status();
    EXPECT_EQ(status.prompt_cache_hits(), 1);
    EXPECT_EQ(status.prompt_cache_states(), 1);
    EXPECT_EQ(status.prompt_cache_budget_bytes(), int64_t{1} << 30);
    EXPECT_EQ(status.prompt_cache_bytes(), static_cast<int64_t>(fs::file_size(kv / name)));
    EXPECT_EQ(status.prompt_cache_saves(), 0) << "the prefix was saved already";
}

TEST_F(PromptCache, AShortPrefixIsNotSaved) {
    Server s(kv);
    s.complete(tsuku::test::user_request("hello", 4));
    s.stop();
    EXPECT_TRUE(states_in(kv).empty());
    EXPECT_EQ(count_in(s.log(), "prompt cache: saved"), 0u);
}

// A state that is corrupt, truncated, or another model's or backend's under this server's name is removed, and
// the prompt evaluated as if there were none: the same reply as a fresh server's.
TEST_F(PromptCache, BadStatesAreRemovedAndThePromptEvaluated) {
    const auto first = request("B", "How do I install jq?");
    const auto second = request("B", "And yq?");
    Reply fresh;
    {
        Server s({});
        fresh = s.complete(second);
    }
    const std::string name = save(first);
    const fs::path file = kv / name;
    std::string why;
    std::vector<uint8_t> state;
    const auto head = tsuku::server::read_state(file, state, why);
    ASSERT_TRUE(head) << why;
    const auto good = tsuku::test::read_file(file);

    const auto rewrite = [&](auto change) {
        auto header = head->header;
        change(header.identity);
        tsuku::server::write_state_file(file, header, head->tokens, state);
    };
    const std::vector<std::pair<std::string, std::function<void()>>> damages = {
        {"corrupt",
         [&] {
             tsuku::test::write_file(file, good);
             std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
             f.seekp(-100, std::ios::end);
             f.put('\x7f');
         }},
        {"truncated",
         [&] {
             tsuku::test::write_file(file, good);
             fs::resize_file(file, fs::file_size(file) / 2);
         }},
        {"foreign model", [&] { rewrite([](auto& id) { id.model_path = "/elsewhere/other.gguf"; }); }},
        {"foreign backend", [&] { rewrite([](auto& id) { id.backend = "vulkan"; }); }},
    };
    for (const auto& [what, damage] : damages) {
        SCOPED_TRACE(what);
        damage();
        ::chmod(file.c_str(), 0600);
        Server s(kv);
        const Reply r = s.complete(second);
        EXPECT_EQ(r.cached, 0) << s.log();
        EXPECT_EQ(r.content, fresh.content);
        EXPECT_EQ(count_in(s.log(), "prompt cache: removed " + name), 1u) << s.log();
        std::vector<uint8_t> bytes;
        EXPECT_TRUE(!fs::exists(file) || tsuku::server::read_state(file, bytes, why)) << "no bad file is left: " << why;
        s.stop();  // (each damage starts again from the good file)
    }
}

// Another model's states are not this server's: never loaded, never removed by it (prune decides).
TEST_F(PromptCache, AnotherModelsStateIsIgnored) {
    const auto first = request("C", "How do I install bat?");
    const auto second = request("C", "And eza?");
    const std::string name = save(first);
    const fs::path copy = tmp / "copy.gguf";
    fs::copy_file(tsuku::test::kTinyModel, copy);
    Server other(kv, "1073741824", copy);
    EXPECT_EQ(other.complete(second).cached, 0);
    EXPECT_TRUE(fs::exists(kv / name));
    EXPECT_EQ(count_in(other.log(), "restored"), 0u);
}

// Two states fit the budget, not three: the one used least recently goes, and a restore counts as a use.
TEST_F(PromptCache, TheBudgetEvictsTheLeastRecentlyUsed) {
    const std::string a = save(request("D", "q1"));
    const uint64_t size = fs::file_size(kv / a);
    Server s(kv, std::to_string(size * 5 / 2));
    s.complete(request("E", "q1"));
    ASSERT_TRUE(wait_for_log(s.log_file(), "prompt cache: saved", 1));
    auto files = states_in(kv);
    ASSERT_EQ(files.size(), 2u);
    files.erase(a);
    const std::string b = *files.begin();

    EXPECT_GT(s.complete(request("D", "q2")).cached, 256) << "a restored: now b is the least recently used";
    s.complete(request("F", "q1"));
    ASSERT_TRUE(wait_for_log(s.log_file(), "prompt cache: saved", 2));
    ASSERT_TRUE(wait_for_log(s.log_file(), "prompt cache: evicted " + b, 1)) << s.log();
    files = states_in(kv);
    EXPECT_EQ(files.size(), 2u);
    EXPECT_TRUE(files.contains(a));
    EXPECT_FALSE(files.contains(b));
    EXPECT_LE(s.status().prompt_cache_bytes(), static_cast<int64_t>(size * 5 / 2));
}

TEST_F(PromptCache, ABudgetOfZeroTurnsItOff) {
    Server s(kv, "0");
    s.complete(request("G", "q"));
    s.stop();
    EXPECT_FALSE(fs::exists(kv));
}

// Through the CLI: tsuku passes $TSUKU_HOME/cache/kv and llm.prompt_cache_size to the server it starts; a server
// started after `tsuku llm stop` restores the prefix; status shows it; prune keeps states its variant can load.
class PromptCacheCli : public tsuku::test::TsukuCli {};

TEST_F(PromptCacheCli, ASecondServerStartsFromTheFirstOnesPrefix) {
    const auto complete = [&](const std::string& question) {
        auto r = tsuku({"llm", "complete", question, "--system", system_prompt("H"), "--max-tokens", "4", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out, nullptr, false);
    };
    EXPECT_EQ(complete("first")["usage"]["cached_input_tokens"], 0);
    ASSERT_EQ(tsuku({"llm", "stop"}).exit_code, 0);
    const fs::path kv = home / "cache" / "kv";
    ASSERT_EQ(states_in(kv).size(), 1u);

    const auto second = complete("second");
    EXPECT_GT(second["usage"]["cached_input_tokens"].get<int>(), 256);
    EXPECT_EQ(second["usage"]["restored_input_tokens"], second["usage"]["cached_input_tokens"]);
    // --verbose says so; the next request reuses the in-memory cache, nothing restored from disk.
    const auto verbose =
        tsuku({"llm", "complete", "third", "--system", system_prompt("H"), "--max-tokens", "4", "--verbose"});
    EXPECT_EQ(verbose.err.find("restored from a prompt state"), std::string::npos) << verbose.err;
    auto r = tsuku({"llm", "status", "--json"});
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["prompt_cache"]["hits"], 1);
    EXPECT_EQ(j["prompt_cache"]["budget_bytes"], int64_t{1} << 30);
    r = tsuku({"llm", "status"});
    EXPECT_NE(r.out.find("prompt cache: 1 saved states"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("this server restored 1"), std::string::npos) << r.out;

    r = tsuku({"llm", "prune"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(states_in(kv).size(), 1u) << "its variant and model are installed: " << r.out;

    // A new server again: --verbose names the restore.
    ASSERT_EQ(tsuku({"llm", "stop"}).exit_code, 0);
    r = tsuku({"llm", "complete", "fourth", "--system", system_prompt("H"), "--max-tokens", "4", "--verbose"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("cached prompt tokens were restored from a prompt state saved by an earlier server"),
              std::string::npos)
        << r.err;
}
