// A strict reader of GGUF headers: checks a model file before llama.cpp sees it (docs/design.md §7). It reads the
// metadata and tensor table, bounds every count and length, and proves every tensor's data lies inside the file.
// It never reads tensor data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace tsuku::model {

enum class GgufProblem { not_found, unreadable, not_gguf, unsupported_version, truncated, bad_header, bad_tensor };

class GgufError : public std::runtime_error {
public:
    GgufError(GgufProblem problem, const std::string& what) : std::runtime_error(what), problem_(problem) {}
    GgufProblem problem() const noexcept { return problem_; }

private:
    GgufProblem problem_;
};

struct GgufArrayInfo {
    uint32_t element_type;
    uint64_t length;
};
using GgufValue = std::variant<uint64_t, int64_t, double, bool, std::string, GgufArrayInfo>;

struct GgufTensor {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> dims;
    uint64_t offset;  // relative to the data section
    uint64_t bytes;
};

struct GgufFile {
    uint32_t version = 0;
    uint64_t file_size = 0;
    uint64_t alignment = 32;
    uint64_t data_offset = 0;
    std::map<std::string, GgufValue> metadata;  // scalars and strings; arrays by type and length
    std::vector<GgufTensor> tensors;

    std::optional<std::string> get_string(const std::string& key) const;
    std::optional<uint64_t> get_uint(const std::string& key) const;  // any non-negative integer type
    std::optional<double> get_float(const std::string& key) const;
    std::optional<uint64_t> array_length(const std::string& key) const;
    uint64_t tensor_bytes() const;
};

// Reads and validates; throws GgufError naming the problem (with the offending key/tensor where there is one).
GgufFile read_gguf(const std::filesystem::path& path);

// The same validation over bytes in memory, `size` standing for the file size (the fuzz tests' entry point).
// Throws GgufError and nothing else, whatever the bytes.
GgufFile parse_gguf(const void* data, size_t size, const std::string& name = "<memory>");

}  // namespace tsuku::model
