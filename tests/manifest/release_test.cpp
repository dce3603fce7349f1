// The release step's output: every checksum in the embedded manifest matches the real file, each package carries a
// variant.json that matches its contents, and a tampered package no longer matches.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "install/sha256.h"
#include "manifest/manifest.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku;

namespace {

// name -> content of every entry of a tar.zst.
std::map<std::string, std::string> read_archive(const fs::path& p) {
    std::map<std::string, std::string> out;
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_all(a.get());
    if (archive_read_open_filename(a.get(), p.c_str(), 1 << 16) != ARCHIVE_OK) return out;
    archive_entry* e = nullptr;
    while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
        std::string content(static_cast<size_t>(archive_entry_size(e)), '\0');
        archive_read_data(a.get(), content.data(), content.size());
        out[archive_entry_pathname(e)] = std::move(content);
    }
    return out;
}

const manifest::Platform& this_platform() { return *manifest::embedded_manifest().platform("linux-amd64"); }

}  // namespace

TEST(Release, PackagesMatchTheEmbeddedChecksumsAndCarryAMatchingVariantJson) {
    for (const auto& [backend, v] : this_platform().variants) {
        SCOPED_TRACE(std::string(backend_name(backend)));
        const fs::path file = fs::path(test::kReleaseDir) / v.artifact.file_name();
        ASSERT_TRUE(fs::exists(file));
        const std::string bytes = test::read_file(file);
        EXPECT_EQ(bytes.size(), v.artifact.size);
        EXPECT_EQ(install::sha256_hex(bytes), v.artifact.sha256);

        const auto entries = read_archive(file);
        ASSERT_TRUE(entries.count("variant.json"));
        EXPECT_EQ(install::sha256_hex(entries.at("variant.json")), v.variant_json_sha256);
        const auto vj = nlohmann::json::parse(entries.at("variant.json"));
        EXPECT_EQ(vj["backend"], std::string(backend_name(backend)));
        EXPECT_EQ(vj["files"].size() + 1, entries.size()) << "every file is listed, nothing else is shipped";
        for (const auto& f : vj["files"]) {
            const std::string name = f["path"];
            ASSERT_TRUE(entries.count(name)) << name;
            EXPECT_EQ(install::sha256_hex(entries.at(name)), f["sha256"].get<std::string>()) << name;
        }
        EXPECT_TRUE(entries.count("tsuku-llm"));
        EXPECT_TRUE(entries.count("libllama-common.so")) << "the server links it (chat templates, tool calls)";
        const std::string lib(backend_info(backend).ggml_library);
        if (!lib.empty()) {
            EXPECT_TRUE(entries.count(lib)) << lib;
        }
    }
}

TEST(Release, ATamperedPackageNoLongerMatches) {
    const auto& v = this_platform().variants.at(Backend::cpu);
    std::string bytes = test::read_file(fs::path(test::kReleaseDir) / v.artifact.file_name());
    ASSERT_EQ(install::sha256_hex(bytes), v.artifact.sha256);
    bytes[bytes.size() / 2] ^= 0x01;  // one flipped bit
    EXPECT_NE(install::sha256_hex(bytes), v.artifact.sha256);
    EXPECT_EQ(bytes.size(), v.artifact.size) << "size alone cannot catch it; the checksum does";
}

TEST(Release, DefaultModelMatchesItsChecksum) {
    const auto& m = manifest::embedded_manifest();
    const auto* model = m.model(m.default_model);
    ASSERT_TRUE(model);
    const std::string bytes = test::read_file(fs::path(test::kReleaseDir) / model->artifact.file_name());
    EXPECT_EQ(bytes.size(), model->artifact.size);
    EXPECT_EQ(install::sha256_hex(bytes), model->artifact.sha256);
}

TEST(Release, ManifestFileIsTheEmbeddedOne) {
    EXPECT_EQ(test::read_file(fs::path(test::kReleaseDir) / "manifest.json"),
              std::string(manifest::embedded_manifest_json()));
}
