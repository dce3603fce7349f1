// Atomic installation: a reinstall swaps trees, a killed install never leaves a half-written tree visible.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive_builder.h"
#include "common/unique_fd.h"
#include "install/extract.h"
#include "install/install_dir.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using namespace tsuku::install;

namespace {

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

void install_tree(const fs::path& final_dir, const std::string& marker) {
    const fs::path staging = make_staging_dir(final_dir);
    write_file(staging / "variant.json", marker);
    install_dir_atomically(staging, final_dir);
}

}  // namespace

TEST(InstallDir, FreshInstallThenAtomicReplace) {
    TempDir root;
    const fs::path final_dir = root / "tools" / "0.1.0" / "cpu";
    install_tree(final_dir, "v1");
    EXPECT_EQ(read_file(final_dir / "variant.json"), "v1");
    struct stat st {};
    ASSERT_EQ(::stat(final_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0755u);

    install_tree(final_dir, "v2");
    EXPECT_EQ(read_file(final_dir / "variant.json"), "v2");
    EXPECT_EQ(names_in(final_dir.parent_path()), std::vector<std::string>{"cpu"}) << "no staging or old tree left";
}

TEST(InstallDir, AFileIsMovedIntoPlaceReplacingTheOldOne) {
    TempDir root;
    write_file(root / "download", "new model");
    install_file_atomically(root / "download", root / "models" / "m.gguf");
    EXPECT_EQ(read_file(root / "models" / "m.gguf"), "new model");
    write_file(root / "download2", "newer model");
    install_file_atomically(root / "download2", root / "models" / "m.gguf");
    EXPECT_EQ(read_file(root / "models" / "m.gguf"), "newer model");
    EXPECT_FALSE(fs::exists(root / "download2"));
}

TEST(InstallDir, StagingFoldersAreHiddenBesideTheTarget) {
    TempDir root;
    const fs::path staging = make_staging_dir(root / "cpu");
    EXPECT_EQ(staging.parent_path(), root.path());
    EXPECT_TRUE(staging.filename().string().starts_with(".cpu.staging-"));
    EXPECT_TRUE(is_staging_name(staging.filename().string()));
    EXPECT_FALSE(is_staging_name("cpu"));
}

TEST(InstallDir, StaleStagingIsRemovedAndAnOrphanedOldTreeRestored) {
    TempDir root;
    install_tree(root / "cpu", "cpu");
    fs::create_directories(root / ".cpu.staging-abc123" / "lib");
    // A kill between "move the old tree aside" and "move the new one in" (the fallback path) leaves this:
    fs::create_directories(root / ".vulkan.old-XYZ789");
    write_file(root / ".vulkan.old-XYZ789" / "variant.json", "vulkan");
    EXPECT_EQ(remove_stale_staging(root.path()), 2);
    EXPECT_EQ(names_in(root.path()), (std::vector<std::string>{"cpu", "vulkan"}));
    EXPECT_EQ(read_file(root / "vulkan" / "variant.json"), "vulkan");
    EXPECT_EQ(read_file(root / "cpu" / "variant.json"), "cpu");
}

// A real process is killed (SIGKILL) in the middle of extracting a new version over an installed one.
TEST(InstallDir, KillDuringExtractionLeavesThePreviousInstallIntact) {
    TempDir root;
    const fs::path final_dir = root / "tools" / "0.1.0" / "cpu";
    install_tree(final_dir, "v1");
    write_file(final_dir / "tsuku-llm", "old binary");

    std::vector<TarEntry> entries = {tar_file("variant.json", "v2")};
    for (int i = 0; i < 20; ++i)
        entries.push_back(tar_file("lib/lib" + std::to_string(i) + ".so", std::string(1000, 'x')));
    write_tar(root / "v2.tar.zst", entries);

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    tsuku::UniqueFd ready(fds[0]), signal_end(fds[1]);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ready.reset();
        try {
            int seen = 0;
            const fs::path staging = make_staging_dir(final_dir);
            extract_archive(root / "v2.tar.zst", staging, {}, [&](std::string_view) {
                if (++seen == 10) {
                    [[maybe_unused]] auto n = ::write(signal_end.get(), "k", 1);
                    ::pause();  // killed here, half-way through the archive
                }
            });
            install_dir_atomically(staging, final_dir);
        } catch (...) {
        }
        ::_exit(0);
    }
    signal_end.reset();
    char c = 0;
    ASSERT_EQ(::read(ready.get(), &c, 1), 1) << "the child never reached the middle of the archive";
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    // What a reader (or a launch) sees: the old version, whole.
    EXPECT_EQ(read_file(final_dir / "variant.json"), "v1");
    EXPECT_EQ(read_file(final_dir / "tsuku-llm"), "old binary");
    EXPECT_EQ(names_in(final_dir), (std::vector<std::string>{"tsuku-llm", "variant.json"}));
    const auto left = names_in(final_dir.parent_path());
    ASSERT_EQ(left.size(), 2u);  // cpu and the half-written, hidden staging folder
    EXPECT_TRUE(is_staging_name(left[0])) << left[0];

    // The next install cleans up and succeeds.
    EXPECT_EQ(remove_stale_staging(final_dir.parent_path()), 1);
    const fs::path staging = make_staging_dir(final_dir);
    extract_archive(root / "v2.tar.zst", staging);
    install_dir_atomically(staging, final_dir);
    EXPECT_EQ(read_file(final_dir / "variant.json"), "v2");
    EXPECT_FALSE(fs::exists(final_dir / "tsuku-llm"));
    EXPECT_EQ(names_in(final_dir.parent_path()), std::vector<std::string>{"cpu"});
}
