// Install misreports and half-installed things (issue 12, items 1 and 9): a killed reinstall's staging folder is
// removed by the next install or prune, an installed component is verified file by file before it is used, and a
// remembered model verification does not survive an in-place edit whose mtime was set back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/home.h"
#include "faults/fault_support.h"
#include "install/locations.h"
#include "install/model_store.h"
#include "install/progress.h"
#include "install/sha256.h"
#include "install/variant_store.h"
#include "integration/cli_fixture.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using tsuku::UserError;

namespace {

class StaleStaging : public TsukuCli {
protected:
    fs::path version_dir() const { return home / "tools" / "tsuku-llm" / TSUKU_TEST_VERSION; }
    // What a reinstall killed mid-extraction leaves: a hidden staging folder with part of the files.
    fs::path plant(const fs::path& parent, const std::string& owner) {
        const fs::path staging = parent / ("." + owner + ".staging-Ab12Cd");
        fs::create_directories(staging);
        write_file(staging / "tsuku-llm", std::string(1 << 20, 'x'));
        return staging;
    }
};

TEST_F(StaleStaging, AnyInstallRemovesAKilledReinstallsStaging) {
    ASSERT_EQ(tsuku({"llm", "install", "--backend", "cpu"}).exit_code, 0);  // the file:// release: no consent
    const fs::path staging = plant(version_dir(), "cpu");
    const fs::path component = plant(home / "components" / "cuda-runtime-13", "13.0");
    // Nothing to install: it is still an install, and cleans up.
    const auto r = tsuku({"llm", "install", "--backend", "cpu"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(staging));
    EXPECT_FALSE(fs::exists(component));
    EXPECT_TRUE(fs::exists(version_dir() / "cpu" / "tsuku-llm")) << "the installed tree is untouched";
}

TEST_F(StaleStaging, PruneRemovesAKilledReinstallsStaging) {
    ASSERT_EQ(tsuku({"llm", "install", "--backend", "cpu"}).exit_code, 0);
    const fs::path staging = plant(version_dir(), "cpu");
    const auto r = tsuku({"llm", "prune"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(staging));
    EXPECT_TRUE(fs::exists(version_dir() / "cpu" / "tsuku-llm"));
}

// A component folder as the release step packs it: the libraries and a component.json listing their sha256.
class ComponentCheck : public ::testing::Test {
protected:
    ComponentCheck() {
        c.name = "cuda-runtime-13";
        c.version = "13.0";
        c.provides = {"libcudart.so.13", "libcublas.so.13"};
        nlohmann::json list = {{"component", c.name}, {"version", c.version}, {"files", nlohmann::json::array()}};
        fs::create_directories(folder());
        for (const auto& so : c.provides) {
            write_file(folder() / so, "library " + so);
            list["files"].push_back({{"path", so}, {"sha256", tsuku::install::sha256_hex("library " + so)}});
        }
        const std::string text = list.dump(2) + "\n";
        write_file(folder() / "component.json", text);
        pkg.component_json_sha256 = tsuku::install::sha256_hex(text);
    }
    fs::path folder() const { return dir / "13.0"; }
    std::string refusal() {
        try {
            tsuku::install::verify_component(folder(), c, pkg, tsuku::Backend::cuda);
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.fix()).find("--reinstall"), std::string::npos) << e.fix();
            return e.what();
        }
        return "";
    }
    TempDir dir;
    tsuku::manifest::Component c;
    tsuku::manifest::ComponentPackage pkg;
};

TEST_F(ComponentCheck, AWholeComponentPasses) { EXPECT_EQ(refusal(), ""); }

TEST_F(ComponentCheck, APartialComponentIsNeverUsed) {
    // A full disk cut the last library short: same name, fewer bytes.
    write_file(folder() / "libcublas.so.13", "libr");
    EXPECT_NE(refusal().find("libcublas.so.13"), std::string::npos);
}

TEST_F(ComponentCheck, AMissingOrExtraOrUnlistedFileIsRefused) {
    fs::remove(folder() / "libcudart.so.13");
    EXPECT_NE(refusal().find("lacks"), std::string::npos);
    write_file(folder() / "libcudart.so.13", "library libcudart.so.13");
    write_file(folder() / "libevil.so", "x");
    EXPECT_NE(refusal().find("libevil.so"), std::string::npos);
    fs::remove(folder() / "libevil.so");
    fs::remove(folder() / "component.json");
    EXPECT_NE(refusal().find("component.json"), std::string::npos);
}

TEST_F(ComponentCheck, AComponentJsonFromElsewhereIsRefused) {
    pkg.component_json_sha256 = std::string(64, 'a');
    EXPECT_NE(refusal().find("wrong checksum"), std::string::npos);
}

TEST(ModelVerification, AnInPlaceEditWithTheMtimeSetBackIsVerifiedAgain) {
    TempDir dir;
    const tsuku::Home home(dir.path());
    const std::string content(100'000, 'm');
    tsuku::manifest::Model m;
    m.name = "model";
    m.artifact = {"file:///nowhere/model.gguf", tsuku::install::sha256_hex(content), content.size()};
    const fs::path p = tsuku::install::model_path(home, m);
    fs::create_directories(p.parent_path());
    write_file(p, content);
    tsuku::install::NullProgress progress;
    tsuku::install::verify_model(home, m, progress);  // hashed, then remembered

    struct stat before {};
    ASSERT_EQ(::stat(p.c_str(), &before), 0);
    // The kernel stamps times from a coarse clock: let it move past the verified file's ctime first, as it has
    // for any edit a person makes.
    const auto later = [](const timespec& a, const timespec& b) {
        return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
    };
    for (struct stat probe{};;) {
        write_file(dir / "probe", "x");
        ASSERT_EQ(::stat((dir / "probe").c_str(), &probe), 0);
        if (later(probe.st_ctim, before.st_ctim)) break;
    }
    {  // one byte changed in place (same inode, same size), then the mtime put back as it was
        const int fd = ::open(p.c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::pwrite(fd, "X", 1, 5000), 1);
        ::close(fd);
        const timespec times[2] = {before.st_atim, before.st_mtim};
        ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
    }
    struct stat after {};
    ASSERT_EQ(::stat(p.c_str(), &after), 0);
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    ASSERT_EQ(after.st_ino, before.st_ino);
    try {
        tsuku::install::verify_model(home, m, progress);
        FAIL() << "the edited model was taken as verified";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
    }
}

}  // namespace
