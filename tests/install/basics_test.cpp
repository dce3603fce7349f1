// sha256, durable writes and progress formatting.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "common/byte_size.h"
#include "common/durable_file.h"
#include "install/progress.h"
#include "install/sha256.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku;
using namespace tsuku::install;
using tsuku::test::read_file;
using tsuku::test::TempDir;
using tsuku::test::write_file;

TEST(Sha256, KnownVectorsAndStreaming) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 h;
    h.update("a");
    h.update("bc");
    EXPECT_EQ(h.finish(), sha256_hex("abc"));
    EXPECT_EQ(h.finish(), sha256_hex("")) << "finish() starts over";

    TempDir dir;
    const std::string big(3 << 20, 'z');  // more than one read buffer
    write_file(dir / "f", big);
    EXPECT_EQ(sha256_file(dir / "f"), sha256_hex(big));
    Sha256 resumed;
    resumed.update(big.substr(0, 5));
    write_file(dir / "rest", big.substr(5));
    EXPECT_EQ(hash_file_into(dir / "rest", resumed), big.size() - 5);
    EXPECT_EQ(resumed.finish(), sha256_hex(big));
}

TEST(Sha256, HexForm) {
    EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
    EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
    EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
    EXPECT_FALSE(is_sha256_hex(std::string(62, 'a') + "/."));
}

TEST(DurableFile, AtomicWriteReplacesWithModeAndLeavesNoTemporary) {
    TempDir dir;
    const auto old_mask = ::umask(0);  // the mode must not depend on the umask
    write_file(dir / "config.toml", "old");
    ::chmod((dir / "config.toml").c_str(), 0644);
    write_file_atomically(dir / "config.toml", "new", 0600);
    ::umask(old_mask);
    EXPECT_EQ(read_file(dir / "config.toml"), "new");
    struct stat st {};
    ASSERT_EQ(::stat((dir / "config.toml").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
}

TEST(Progress, Formatting) {
    EXPECT_EQ(format_si_bytes(999), "999 B");
    EXPECT_EQ(format_si_bytes(1'500'000), "1.5 MB");
    EXPECT_EQ(format_si_bytes(2'100'000'000), "2.1 GB");
    EXPECT_EQ(format_eta(std::chrono::seconds(5)), "5s");
    EXPECT_EQ(format_eta(std::chrono::seconds(125)), "2m05s");
    EXPECT_EQ(format_eta(std::chrono::seconds(3720)), "1h02m");
}

TEST(Progress, LinesForLogsAndABarForTerminals) {
    std::ostringstream lines_out, tty_out;
    auto lines = make_progress(lines_out, false);
    auto tty = make_progress(tty_out, true);
    for (auto* p : {lines.get(), tty.get()}) {
        p->begin_download("http://x/pkg", 1000, 0);
        for (uint64_t done = 100; done <= 1000; done += 100) p->advance(done);
        p->end_download(1000);
        p->step("installed");
    }
    const std::string l = lines_out.str();
    EXPECT_NE(l.find("downloading http://x/pkg (1.0 kB)"), std::string::npos) << l;
    EXPECT_NE(l.find("25%"), std::string::npos) << l;
    EXPECT_NE(l.find("75%"), std::string::npos) << l;
    EXPECT_NE(l.find("downloaded 1.0 kB"), std::string::npos) << l;
    EXPECT_EQ(l.find('\r'), std::string::npos);
    const std::string t = tty_out.str();
    EXPECT_NE(t.find('\r'), std::string::npos) << "the bar is redrawn in place";
    EXPECT_NE(t.find("100%"), std::string::npos) << t;
    EXPECT_NE(t.find("/s"), std::string::npos) << "a rate" << t;
    EXPECT_NE(t.find("installed\n"), std::string::npos);
}
