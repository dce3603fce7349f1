// Hostile config.toml files through the real `tsuku`: no input may crash it (long lines, long comments, deep
// nesting, huge files), and a symlinked config (dotfiles) keeps its link when `tsuku config set` writes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "faults/fault_support.h"
#include "integration/cli_fixture.h"

namespace fs = std::filesystem;
using namespace tsuku::test;

namespace {

class ConfigFaults : public TsukuCli {
protected:
    fs::path config() const { return home / "config.toml"; }
    // The command ran to a verdict of its own: no signal (a crash is 128+N), no internal error (70).
    static void expect_no_crash(const CommandResult& r) {
        EXPECT_LT(r.exit_code, 3) << "exit " << r.exit_code << ": " << r.err;
        EXPECT_LT(r.err.size(), 4096u) << "the message quotes too much of the file";
    }
};

TEST_F(ConfigFaults, AThirtyThousandCharacterValueIsRefusedNotACrash) {
    write_file(config(), "[llm]\nbackend = \"" + std::string(30000, 'x') + "\"\n");
    auto r = tsuku({"config", "list"});
    expect_no_crash(r);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("llm.backend"), std::string::npos) << r.err;

    write_file(config(), "[llm]\nbackend = " + std::string(30000, 'x') + "\n");  // unquoted: a parse error
    r = tsuku({"config", "list"});
    expect_no_crash(r);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
}

TEST_F(ConfigFaults, AFiftyThousandCharacterCommentSurvivesSetAndUnset) {
    const std::string comment = "# " + std::string(50000, 'c');
    write_file(config(), "[llm]\nbackend = \"cpu\"  " + comment + "\nidle_timeout = \"5m\"\n");
    auto r = tsuku({"config", "unset", "llm.backend"});
    expect_no_crash(r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string after = read_file(config());
    EXPECT_EQ(after.find("backend"), std::string::npos) << "the key's line is removed";
    EXPECT_NE(after.find("idle_timeout = \"5m\""), std::string::npos) << "the rest is kept";

    write_file(config(), "# " + std::string(50000, 'c') + "\n[llm]\nbackend = \"cpu\"\n");
    r = tsuku({"config", "set", "llm.backend", "vulkan"});
    expect_no_crash(r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(read_file(config()).find(std::string(50000, 'c')), std::string::npos) << "the comment is kept";
    EXPECT_EQ(tsuku({"config", "get", "llm.backend"}).out, "vulkan\n");
}

TEST_F(ConfigFaults, DeepNestingIsRefusedNotACrash) {
    const size_t depth = 100000;
    const std::vector<std::string> files = {
        std::string(depth, '[') + std::string(depth, ']') + "\n",           // [[[[...]]]]
        "a = " + std::string(depth, '[') + std::string(depth, ']') + "\n",  // a = [[[[...]]]]
        "[llm]\nbackend = " + std::string(depth, '[') + "\n",               // never closed
        "a = " +
            [&] {  // a = {b={b={...}}}
                std::string s;
                for (size_t i = 0; i < depth / 10; ++i) s += "{b=";
                return s + "1" + std::string(depth / 10, '}');
            }() +
            "\n",
        [&] {  // a.a.a.a... = 1: a dotted key 50,000 tables deep
            std::string s = "a";
            for (size_t i = 0; i < 50000; ++i) s += ".a";
            return s + " = 1\n";
        }(),
        [&] {  // [a.a.a...]: the same as a header
            std::string s = "[a";
            for (size_t i = 0; i < 50000; ++i) s += ".a";
            return s + "]\n";
        }(),
    };
    for (size_t i = 0; i < files.size(); ++i) {
        SCOPED_TRACE("file " + std::to_string(i));
        write_file(config(), files[i]);
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"config", "list"}, {"config", "unset", "llm.backend"}, {"config", "set", "llm.backend", "cpu"}}) {
            const auto r = tsuku(args);
            expect_no_crash(r);
            EXPECT_EQ(r.exit_code, 1) << r.err;
        }
        EXPECT_EQ(read_file(config()), files[i]) << "a broken file is never rewritten";
    }
}

TEST_F(ConfigFaults, AFileOverOneMebibyteIsRefusedWithItsSize) {
    write_file(config(), "[llm]\nbackend = \"cpu\"\n" + std::string(2 << 20, '#') + "\n");
    const auto size = fs::file_size(config());
    const auto r = tsuku({"config", "list"});
    expect_no_crash(r);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(std::to_string(size) + " bytes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1048576"), std::string::npos) << r.err;
}

TEST_F(ConfigFaults, ASymlinkedConfigKeepsItsLink) {
    fs::create_directories(home / "dotfiles");
    write_file(home / "dotfiles" / "tsuku.toml", "# mine\n[llm]\nbackend = \"cpu\"\n");
    fs::create_symlink("dotfiles/tsuku.toml", config());  // relative, as dotfile managers make them
    auto r = tsuku({"config", "set", "llm.backend", "vulkan"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::is_symlink(config())) << "the link was replaced by a file";
    EXPECT_EQ(fs::read_symlink(config()), "dotfiles/tsuku.toml");
    EXPECT_EQ(read_file(home / "dotfiles" / "tsuku.toml"), "# mine\n[llm]\nbackend = \"vulkan\"\n");
    EXPECT_TRUE(entries(home / "dotfiles").size() == 1) << "no temporary file is left beside the target";

    r = tsuku({"config", "unset", "llm.backend"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(config()));
    EXPECT_EQ(read_file(home / "dotfiles" / "tsuku.toml").find("backend"), std::string::npos);

    // A chain of links (an absolute one to a relative one) ends at the same file.
    fs::remove(config());
    fs::create_symlink(home / "dotfiles" / "link2", config());
    fs::create_symlink("tsuku.toml", home / "dotfiles" / "link2");
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "cpu"}).exit_code, 0);
    EXPECT_TRUE(fs::is_symlink(config()));
    EXPECT_TRUE(fs::is_symlink(home / "dotfiles" / "link2"));
    EXPECT_NE(read_file(home / "dotfiles" / "tsuku.toml").find("backend = \"cpu\""), std::string::npos);
}

}  // namespace
