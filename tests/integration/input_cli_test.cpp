// Hostile input to `tsuku llm complete` is refused before any server starts, naming the problem, the offset or the
// limit, and the fix (issue 12, items 5 and 7).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/cli_fixture.h"
#include "support/run_command.h"

namespace fs = std::filesystem;
using tsuku::test::run_command;

namespace {
class InputCli : public tsuku::test::TsukuCli {
protected:
    bool server_running() {
        return nlohmann::json::parse(tsuku({"llm", "status", "--json"}).out)["running"].get<bool>();
    }
};
}  // namespace

TEST_F(InputCli, InvalidUtf8IsRefusedWithTheOffsetFromEverySource) {
    const std::string bad = std::string("hello \xC3\x28 world");  // a lead byte without its continuation
    auto r = tsuku({"llm", "complete", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the prompt is not valid UTF-8 (byte 6)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("iconv"), std::string::npos) << r.err;

    r = tsuku({"llm", "complete", "-"}, {}, "ok \xED\xA0\x80 surrogate");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("not valid UTF-8 (byte 3)"), std::string::npos) << r.err;

    r = tsuku({"llm", "complete", "--system", "\xFF", "hi"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the system prompt (--system) is not valid UTF-8 (byte 0)"), std::string::npos) << r.err;
    EXPECT_FALSE(server_running()) << "refused before a server starts";
}

TEST_F(InputCli, SchemaAndToolFilesAreBoundedAndMustBeRegular) {
    auto r = tsuku({"llm", "complete", "hi", "--schema", "/dev/zero"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--schema /dev/zero is not a regular file"), std::string::npos) << r.err;

    const fs::path fifo = home / "schema.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    r = tsuku({"llm", "complete", "hi", "--tools", fifo.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;

    const fs::path big = home / "big.json";
    {
        std::ofstream out(big);
        out << "{\"description\": \"" << std::string(2u << 20, 'x') << "\"}";
    }
    r = tsuku({"llm", "complete", "hi", "--schema", big.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the limit is 1024 KiB"), std::string::npos) << r.err;
    EXPECT_FALSE(server_running());
}

TEST_F(InputCli, AnOversizedPromptOnStdinIsRefusedWithTheLimit) {
    const auto r = tsuku({"llm", "complete", "Summarise:", "-"}, {}, std::string(9u << 20, 'a'));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("over the limit of 8192 KiB"), std::string::npos) << r.err;
    EXPECT_FALSE(server_running());
}

TEST_F(InputCli, AHomeThatIsAFileOrAnotherUsersIsNamedNotReportedAsNotRunning) {
    const fs::path file = home / "a-file";
    { std::ofstream(file) << "x"; }
    auto r = run_command({tsuku::test::kCli, "llm", "status"}, {{"TSUKU_HOME", file.string()}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("TSUKU_HOME " + file.string() + " is not a folder"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("not running"), std::string::npos) << r.out;

    if (::geteuid() != 0) GTEST_SKIP() << "giving a folder to another user needs root (CI runs as root)";
    const fs::path other = home / "other";
    fs::create_directories(other);
    ASSERT_EQ(::chown(other.c_str(), 65534, 65534), 0);
    r = run_command({tsuku::test::kCli, "llm", "status"}, {{"TSUKU_HOME", other.string()}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("belongs to another user (uid 65534)"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(other)) << "nothing created in it";
}

TEST_F(InputCli, TyposGetDidYouMeanAndVersionWorksEverywhere) {
    auto r = tsuku({"llm", "compelte", "hi"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("did you mean 'tsuku llm complete'?"), std::string::npos) << r.err;
    r = tsuku({"llm", "complete", "--jsn", "hi"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown option --jsn for tsuku llm complete"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("did you mean --json?"), std::string::npos) << r.err;
    r = tsuku({"foo"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown command 'foo' for tsuku"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << "no wild guesses: " << r.err;
    for (const auto& args : std::vector<std::vector<std::string>>{{"version"}, {"--version"}, {"llm", "--version"}}) {
        r = tsuku(args);
        EXPECT_EQ(r.exit_code, 0) << args[0];
        EXPECT_EQ(r.out.rfind("tsuku 0.", 0), 0u) << r.out;
    }
    r = tsuku({"llm", "--help"});
    EXPECT_NE(r.out.find("Usage: tsuku llm"), std::string::npos) << "usage says tsuku, not a path: " << r.out;
    EXPECT_FALSE(server_running());
}
