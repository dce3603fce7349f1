#include "manifest/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"

using namespace tsuku;
using namespace tsuku::manifest;
using nlohmann::json;

namespace {

json valid() {
    const std::string sha(64, 'a');
    return json::parse(R"({
      "schema_version": 2,
      "addon": {"name": "tsuku-llm", "version": "0.1.0", "llama_cpp": "v0.4.0"},
      "platforms": {"linux-amd64": {"default": "cpu", "prefer": ["cuda", "cpu"], "variants": {
        "cpu": {"url": "file:///r/tsuku-llm-cpu.tar.zst", "sha256": ")" +
                       sha + R"(", "size": 10,
                "variant_json_sha256": ")" +
                       sha + R"("},
        "cuda": {"url": "https://example.org/r/tsuku-llm-cuda.tar.zst", "sha256": ")" +
                       sha + R"(", "size": 20,
                 "variant_json_sha256": ")" +
                       sha + R"(", "components": ["cuda-runtime-13"],
                 "requires": {"libraries": ["libcuda.so.1"], "cuda_driver": "13.0", "min_compute_capability": "5.0"}}}}},
      "components": {"cuda-runtime-13": {"version": "13.0", "provides": ["libcudart.so.13"]}},
      "models": [{"name": "m", "url": "file:///r/m.gguf", "sha256": ")" +
                       sha + R"(", "size": 5, "synthetic": true}],
      "default_model": "m"
    })");
}

std::string error_of(const json& j) {
    try {
        parse_manifest(j.dump());
    } catch (const ManifestError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Manifest, ParsesAndRoundTrips) {
    const auto m = parse_manifest(valid().dump());
    const auto* p = m.platform("linux-amd64");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->default_backend, Backend::cpu);
    ASSERT_EQ(p->prefer.size(), 2u);
    EXPECT_EQ(p->prefer[0], Backend::cuda);
    ASSERT_TRUE(p->find(Backend::cuda));
    EXPECT_EQ(p->find(Backend::cuda)->requirements.cuda_driver, "13.0");
    EXPECT_EQ(p->find(Backend::cuda)->artifact.file_name(), "tsuku-llm-cuda.tar.zst");
    EXPECT_FALSE(p->find(Backend::vulkan));
    EXPECT_EQ(m.default_model, "m");
    EXPECT_TRUE(m.model("m")->synthetic);
    const auto again = parse_manifest(to_json(m));
    EXPECT_EQ(to_json(again), to_json(m));
}

TEST(Manifest, EveryBrokenRuleIsNamedWithItsPath) {
    struct Case {
        const char* pointer;
        json value;
        const char* expect;
    };
    const std::vector<Case> cases = {
        {"/schema_version", 3, "$.schema_version"},
        {"/platforms/linux-amd64/default", "metal", "names a variant the platform does not have"},
        {"/platforms/linux-amd64/prefer/0", "rocm", "unknown backend 'rocm'"},
        {"/platforms/linux-amd64/variants/cpu/sha256", "ABC", "cpu.sha256: must be 64 lowercase hex digits"},
        {"/platforms/linux-amd64/variants/cpu/size", 0, "cpu.size: must be greater than 0"},
        {"/platforms/linux-amd64/variants/cpu/url", "ftp://x/y.tar.zst", "must be an https://"},
        {"/platforms/linux-amd64/variants/cpu/url", "file:///r/../..", "must end in a plain file name"},
        {"/platforms/linux-amd64/variants/cuda/components/0", "nope", "unknown component 'nope'"},
        {"/platforms/linux-amd64/variants/cuda/requires/cuda_driver", "thirteen", "must be a version"},
        {"/platforms/linux-amd64/variants/cuda/requires/gpu_count", 2, "unknown requirement"},
        {"/models/0/name", "../evil", "must be usable as a file name"},
        {"/default_model", "absent", "not in models"},
        {"/addon/version", "../0.1", "must be usable as a folder name"},
    };
    for (const auto& c : cases) {
        json j = valid();
        j[json::json_pointer(c.pointer)] = c.value;
        EXPECT_NE(error_of(j).find(c.expect), std::string::npos) << c.pointer << " -> " << error_of(j);
    }
    EXPECT_NE(error_of(json::array()).find("must be an object"), std::string::npos);
    try {
        parse_manifest("{not json");
        FAIL();
    } catch (const ManifestError& e) {
        EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
    }
}

TEST(Manifest, MirrorRedirectsEveryArtifactButKeepsItsChecksum) {
    Artifact a{"https://example.org/releases/v1/pkg.tar.zst", std::string(64, 'b'), 3};
    EXPECT_EQ(artifact_url(a, Environment::fixed({})), a.url);
    EXPECT_EQ(artifact_url(a, Environment::fixed({{"TSUKU_LLM_MIRROR", "http://127.0.0.1:8080/m/"}})),
              "http://127.0.0.1:8080/m/pkg.tar.zst");
    EXPECT_THROW(artifact_url(a, Environment::fixed({{"TSUKU_LLM_MIRROR", "/just/a/path"}})), UserError);
}

TEST(Manifest, SafeFileNames) {
    for (const char* ok : {"a.gguf", "tsuku-llm-0.1.0-linux-amd64-cpu.tar.zst", "x_y+z"}) {
        EXPECT_TRUE(is_safe_file_name(ok)) << ok;
    }
    for (const char* bad : {"", ".hidden", "..", "a/b", "a\\b", "a b", "a\nb", "\xc3\xa9"}) {
        EXPECT_FALSE(is_safe_file_name(bad)) << bad;
    }
}

TEST(Manifest, EmbeddedManifestIsValidAndDescribesThisRelease) {
    const auto& m = embedded_manifest();
    EXPECT_EQ(to_json(parse_manifest(embedded_manifest_json())), to_json(m));
    const auto* p = m.platform("linux-amd64");
    ASSERT_TRUE(p);
    for (auto b : {Backend::cpu, Backend::vulkan, Backend::cuda}) EXPECT_TRUE(p->find(b)) << backend_name(b);
    EXPECT_EQ(p->default_backend, Backend::cpu);
    EXPECT_TRUE(m.model(m.default_model));
    EXPECT_TRUE(m.component("cuda-runtime-13"));
}
