// Build artefacts the tests run for real (set by tests/CMakeLists.txt).
#pragma once

namespace tsuku::test {
inline constexpr const char* kServerCpu = TSUKU_TEST_SERVER_CPU;  // build/variants/cpu/tsuku-llm
inline constexpr const char* kServerVulkan = TSUKU_TEST_SERVER_VULKAN;
inline constexpr const char* kServerCuda = TSUKU_TEST_SERVER_CUDA;
inline constexpr const char* kReleaseDir = TSUKU_TEST_RELEASE_DIR;     // build/release: packages + manifest.json
inline constexpr const char* kFakeVariant = TSUKU_TEST_FAKE_VARIANT;   // tests/support/fake_variant.cpp
inline constexpr const char* kFakeCudaDir = TSUKU_TEST_FAKE_CUDA_DIR;  // libcuda.so.1 with no device: fake_libcuda.cpp
inline constexpr const char* kCudaStub = TSUKU_TEST_CUDA_STUB;  // the CUDA toolkit's stubs/libcuda.so ("" if none)
inline constexpr const char* kCli = TSUKU_TEST_CLI;             // build/bin/tsuku
inline constexpr const char* kTinyModel = TSUKU_TEST_MODEL;     // the synthetic tiny model
inline constexpr const char* kKQuantModel = TSUKU_TEST_KQUANT_MODEL;  // tiny-k in Q4_K_M: the real models' kernels
inline constexpr const char* kGgufGen = TSUKU_TEST_GGUF_GEN;          // build/bin/gguf-gen
inline constexpr const char* kVocab = TSUKU_TEST_VOCAB;               // llama.cpp's ggml-vocab-qwen2.gguf
}  // namespace tsuku::test
