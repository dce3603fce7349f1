// The extractor against good and malicious archives: nothing may ever be written outside the destination.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "archive_builder.h"
#include "common/error.h"
#include "install/extract.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using tsuku::UserError;
using tsuku::install::extract_archive;
using tsuku::install::ExtractLimits;

namespace {

class ExtractTest : public ::testing::Test {
protected:
    ExtractTest() { fs::create_directories(dest()); }
    fs::path dest() const { return root / "home" / "staging"; }
    fs::path archive() const { return root / "pkg.tar.zst"; }

    // Extracts `entries`; returns the error message, or "" when it succeeded.
    std::string extract(const std::vector<TarEntry>& entries, const ExtractLimits& limits = {}) {
        write_tar(archive(), entries);
        try {
            extract_archive(archive(), dest(), limits);
            return "";
        } catch (const UserError& e) {
            return e.what();
        }
    }

    // Every path under the temporary root outside the destination, to prove nothing was written there.
    std::vector<std::string> outside() const {
        std::vector<std::string> found;
        for (const auto& e : fs::recursive_directory_iterator(root.path())) {
            const auto rel = e.path().lexically_relative(dest());
            if (!rel.empty() && *rel.begin() != "..") continue;  // inside dest
            if (e.path() == archive() || e.path() == dest() || e.path() == dest().parent_path()) continue;
            found.push_back(e.path().string());
        }
        return found;
    }

    TempDir root;
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

}  // namespace

TEST_F(ExtractTest, ExtractsFilesFoldersLinksAndModes) {
    for (auto compression : {Compression::zstd, Compression::gzip, Compression::none}) {
        fs::remove_all(dest());
        fs::create_directories(dest());
        write_tar(
            archive(),
            {tar_dir("./"), tar_file("./tsuku-llm", "#!/bin/sh\n", 04755), tar_file("lib/libllama.so.1", "ELF", 0600),
             tar_symlink("lib/libllama.so", "libllama.so.1"), tar_symlink("bin/up", "../lib/libllama.so.1"),
             tar_hardlink("lib/copy.so", "lib/libllama.so.1"), tar_file("variant.json", "{}")},
            compression);
        const auto stats = extract_archive(archive(), dest());
        EXPECT_EQ(stats.files, 3u);
        EXPECT_EQ(read_file(dest() / "tsuku-llm"), "#!/bin/sh\n");
        EXPECT_EQ(mode_of(dest() / "tsuku-llm"), 0755u) << "set-id bits are dropped, exec kept";
        EXPECT_EQ(mode_of(dest() / "lib/libllama.so.1"), 0644u);
        EXPECT_EQ(fs::read_symlink(dest() / "lib/libllama.so"), "libllama.so.1");
        EXPECT_EQ(read_file(dest() / "lib/libllama.so"), "ELF");
        EXPECT_EQ(read_file(dest() / "bin/up"), "ELF");
        EXPECT_EQ(read_file(dest() / "lib/copy.so"), "ELF");
        EXPECT_EQ(fs::hard_link_count(dest() / "lib/copy.so"), 2u);
        EXPECT_TRUE(outside().empty());
    }
}

TEST_F(ExtractTest, RefusesDotDotAnywhere) {
    for (const std::string name : {"../evil", "lib/../../evil", "./../evil", "a/b/../../../evil"}) {
        const auto err = extract({tar_file("ok", "fine"), tar_file(name, "pwned")});
        EXPECT_NE(err.find("refusing to extract"), std::string::npos) << name << ": " << err;
        EXPECT_NE(err.find("'" + name + "'"), std::string::npos) << "the message names the entry: " << err;
        EXPECT_TRUE(outside().empty()) << name;
        EXPECT_FALSE(fs::exists(root / "evil"));
        EXPECT_FALSE(fs::exists(root / "home" / "evil"));
    }
}

TEST_F(ExtractTest, RefusesAbsolutePaths) {
    const std::string target = (root / "abs-evil").string();
    const auto err = extract({tar_file(target, "pwned")});
    EXPECT_NE(err.find("absolute"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(outside().empty());
}

TEST_F(ExtractTest, RefusesSymlinksLeavingTheTree) {
    const std::vector<std::pair<std::string, std::string>> links = {
        {"up", ".."},
        {"lib/up", "../../x"},
        {"etc", "/etc"},
        {"abs", (root / "x").string()},
        // ".." after a name could climb through another symlink ("a" -> "."): refused too.
        {"b", "a/x/../.."}};
    for (const auto& [name, target] : links) {
        fs::remove_all(dest());
        fs::create_directories(dest());
        const auto err = extract({tar_dir("lib/"), tar_symlink("a", "."), tar_symlink(name, target)});
        EXPECT_NE(err.find("outside the package"), std::string::npos) << name << " -> " << target << ": " << err;
        EXPECT_FALSE(fs::exists(fs::symlink_status(dest() / name))) << name;
    }
}

TEST_F(ExtractTest, NeverWritesThroughASymlink) {
    // Classic two-step escape: a link to outside, then a file "through" it. The link is refused first...
    auto err = extract({tar_symlink("out", root.path().string()), tar_file("out/evil", "pwned")});
    EXPECT_FALSE(err.empty());
    EXPECT_FALSE(fs::exists(root / "evil"));
    // ...and even a link that stays inside is never traversed by a later entry.
    fs::remove_all(dest());
    fs::create_directories(dest());
    err = extract({tar_dir("real/"), tar_symlink("d", "real"), tar_file("d/x", "data")});
    EXPECT_FALSE(err.empty());
    EXPECT_FALSE(fs::exists(dest() / "real" / "x"));
    EXPECT_TRUE(outside().empty());
}

TEST_F(ExtractTest, RefusesHardlinksLeavingTheTree) {
    write_file(root / "secret", "secret");
    for (const std::string& target :
         std::vector<std::string>{"../secret", (root / "secret").string(), "missing", "link"}) {
        fs::remove_all(dest());
        fs::create_directories(dest());
        // "link" is a symlink: a hardlink to it would re-point its relative target from another folder.
        const auto err = extract(
            {tar_file("ok", "fine"), tar_symlink("link", "ok"), tar_dir("sub/"), tar_hardlink("sub/h", target)});
        EXPECT_NE(err.find("hardlink"), std::string::npos) << target << ": " << err;
        EXPECT_FALSE(fs::exists(dest() / "sub" / "h")) << target;
    }
    EXPECT_EQ(fs::hard_link_count(root / "secret"), 1u);
}

TEST_F(ExtractTest, RefusesDevicesAndFifos) {
    auto err = extract({{"null", TarEntry::Type::chardev, {}, {}, 0666}});
    EXPECT_NE(err.find("device file"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(fs::symlink_status(dest() / "null")));
    err = extract({{"pipe", TarEntry::Type::fifo, {}, {}, 0666}});
    EXPECT_NE(err.find("FIFO"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(fs::symlink_status(dest() / "pipe")));
}

TEST_F(ExtractTest, RefusesDuplicateAndConflictingEntries) {
    auto err = extract({tar_file("a", "first"), tar_file("a", "second")});
    EXPECT_NE(err.find("twice"), std::string::npos) << err;
    EXPECT_EQ(read_file(dest() / "a"), "first");
    // A file where a folder already is (named or implied), and a file under a file.
    for (const auto& entries : std::vector<std::vector<TarEntry>>{{tar_dir("lib/"), tar_file("lib", "x")},
                                                                  {tar_file("lib/x", "x"), tar_file("lib", "x")},
                                                                  {tar_file("lib", "x"), tar_file("lib/x", "x")}}) {
        fs::remove_all(dest());
        fs::create_directories(dest());
        err = extract(entries);
        EXPECT_FALSE(err.empty()) << entries[0].name << ", " << entries[1].name;
    }
    // A folder named twice is fine.
    fs::remove_all(dest());
    fs::create_directories(dest());
    EXPECT_EQ(extract({tar_dir("lib/"), tar_file("lib/x", "x"), tar_dir("./lib")}), "");
}

TEST_F(ExtractTest, EnforcesLimits) {
    ExtractLimits limits;
    limits.max_entries = 3;
    auto err = extract({tar_file("1", ""), tar_file("2", ""), tar_file("3", ""), tar_file("4", "")}, limits);
    EXPECT_NE(err.find("more than 3 entries"), std::string::npos) << err;

    limits = {};
    limits.max_file_bytes = 100;
    fs::remove_all(dest());
    fs::create_directories(dest());
    err = extract({tar_file("big", std::string(101, 'x'))}, limits);
    EXPECT_NE(err.find("larger than 100 bytes"), std::string::npos) << err;

    limits = {};
    limits.max_total_bytes = 150;
    fs::remove_all(dest());
    fs::create_directories(dest());
    err = extract({tar_file("a", std::string(100, 'x')), tar_file("b", std::string(100, 'x'))}, limits);
    EXPECT_NE(err.find("more than 150 bytes"), std::string::npos) << err;

    limits = {};
    limits.max_path_bytes = 20;
    fs::remove_all(dest());
    fs::create_directories(dest());
    err = extract({tar_file(std::string(21, 'n'), "")}, limits);
    EXPECT_NE(err.find("too long"), std::string::npos) << err;
}

TEST_F(ExtractTest, NotAnArchiveIsADamagedPackage) {
    write_file(archive(), "<!DOCTYPE html><html>sign in</html>");
    try {
        extract_archive(archive(), dest());
        FAIL() << "expected an error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find(archive().string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.fix()).find("download it again"), std::string::npos);
    }
    EXPECT_TRUE(fs::is_empty(dest()));
}

TEST(SafeRelativePath, NormalisesOrRefuses) {
    using tsuku::install::safe_relative_path;
    EXPECT_EQ(safe_relative_path("./bin//tsuku-llm"), "bin/tsuku-llm");
    EXPECT_EQ(safe_relative_path("./"), "");
    EXPECT_EQ(safe_relative_path("a/./b/"), "a/b");
    EXPECT_EQ(safe_relative_path("..."), "...");  // a name, not a parent
    EXPECT_FALSE(safe_relative_path("/etc/passwd"));
    EXPECT_FALSE(safe_relative_path("a/../b"));
    EXPECT_FALSE(safe_relative_path(".."));
    EXPECT_FALSE(safe_relative_path(std::string("a\0b", 4)));
    EXPECT_FALSE(safe_relative_path(std::string(300, 'x')));
}

TEST(SymlinkStaysInside, CountsTheClimb) {
    using tsuku::install::symlink_stays_inside;
    EXPECT_TRUE(symlink_stays_inside("lib/libllama.so", "libllama.so.1"));
    EXPECT_TRUE(symlink_stays_inside("bin/x", "../lib/y"));
    EXPECT_TRUE(symlink_stays_inside("a/b/c", "../../d"));
    EXPECT_TRUE(symlink_stays_inside("here", "."));
    EXPECT_FALSE(symlink_stays_inside("x", ".."));
    EXPECT_FALSE(symlink_stays_inside("bin/x", "../../y"));
    EXPECT_FALSE(symlink_stays_inside("x", "/usr/lib/x"));
    EXPECT_FALSE(symlink_stays_inside("x", "a/../b"));
    EXPECT_FALSE(symlink_stays_inside("x", ""));
}
