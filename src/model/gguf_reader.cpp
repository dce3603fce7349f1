#include "model/gguf_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "model/gguf_hparams.h"
#include "model/gguf_types.h"

namespace fs = std::filesystem;

namespace tsuku::model {
namespace {

// Bounds that no real model comes near but that stop a lying header from making us allocate or loop for ever.
constexpr uint64_t kMaxTensors = 1u << 20;
constexpr uint64_t kMaxKv = 1u << 20;
constexpr uint64_t kMaxKeyLength = 1u << 16;
constexpr uint64_t kMaxStringLength = 64ull << 20;
constexpr uint64_t kMaxArrayLength = 1ull << 28;
constexpr uint32_t kMaxDims = 4;

enum GgufType : uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
};

uint64_t scalar_size(uint32_t type) {
    switch (type) {
        case u8:
        case i8:
        case boolean: return 1;
        case u16:
        case i16: return 2;
        case u32:
        case i32:
        case f32: return 4;
        case u64:
        case i64:
        case f64: return 8;
        default: return 0;
    }
}

class Reader {
public:
    Reader(FILE* f, uint64_t size, std::string name) : f_(f), size_(size), name_(std::move(name)) {}

    uint64_t pos() const { return pos_; }

    void read(void* dst, uint64_t n, const char* what) {
        if (n > size_ - pos_) {
            throw GgufError(GgufProblem::truncated, name_ + ": file ends inside " + what + " (offset " +
                                                        std::to_string(pos_) + ", file size " + std::to_string(size_) +
                                                        ")");
        }
        if (n && std::fread(dst, 1, n, f_) != n) {
            throw GgufError(GgufProblem::unreadable, name_ + ": read error at offset " + std::to_string(pos_));
        }
        pos_ += n;
    }
    void skip(uint64_t n, const char* what) {
        if (n > size_ - pos_) {
            throw GgufError(GgufProblem::truncated, name_ + ": file ends inside " + what);
        }
        // A vocabulary is 150k short strings: reading through the stream's buffer avoids an lseek per string
        // (fseek always makes one), which cost half a second of every server start.
        if (n <= sizeof scratch_) {
            read(scratch_, n, what);
            return;
        }
        if (std::fseek(f_, static_cast<long>(n), SEEK_CUR) != 0) {
            throw GgufError(GgufProblem::unreadable, name_ + ": seek error at offset " + std::to_string(pos_));
        }
        pos_ += n;
    }
    template <class T>
    T get(const char* what) {
        T v;
        read(&v, sizeof v, what);
        return v;
    }
    std::string string(uint64_t limit, const char* what) {
        const auto n = get<uint64_t>(what);
        if (n > limit) {
            throw GgufError(GgufProblem::bad_header, name_ + ": " + what + " claims " + std::to_string(n) +
                                                         " bytes (limit " + std::to_string(limit) + ")");
        }
        if (n > remaining()) throw GgufError(GgufProblem::truncated, name_ + ": file ends inside " + what);
        std::string s(n, '\0');  // allocated only once the bytes are known to exist
        read(s.data(), n, what);
        return s;
    }
    uint64_t remaining() const { return size_ - pos_; }

private:
    char scratch_[4096];
    FILE* f_;
    uint64_t size_;
    std::string name_;
    uint64_t pos_ = 0;
};

GgufValue read_value(Reader& r, uint32_t type, const std::string& key, const std::string& file) {
    switch (type) {
        case u8: return uint64_t{r.get<uint8_t>("a value")};
        case u16: return uint64_t{r.get<uint16_t>("a value")};
        case u32: return uint64_t{r.get<uint32_t>("a value")};
        case u64: return r.get<uint64_t>("a value");
        case i8: return int64_t{r.get<int8_t>("a value")};
        case i16: return int64_t{r.get<int16_t>("a value")};
        case i32: return int64_t{r.get<int32_t>("a value")};
        case i64: return r.get<int64_t>("a value");
        case f32: return double{r.get<float>("a value")};
        case f64: return r.get<double>("a value");
        case boolean: return r.get<uint8_t>("a value") != 0;
        case string: return r.string(kMaxStringLength, "a string value");
        case array: {
            const auto et = r.get<uint32_t>("an array type");
            const auto n = r.get<uint64_t>("an array length");
            if (n > kMaxArrayLength) {
                throw GgufError(GgufProblem::bad_header,
                                file + ": key '" + key + "' claims an array of " + std::to_string(n) + " elements");
            }
            if (et == string) {
                for (uint64_t i = 0; i < n; ++i) r.skip(r.get<uint64_t>("an array string length"), "an array string");
            } else if (const uint64_t sz = scalar_size(et)) {
                r.skip(n * sz, "an array");
            } else {
                throw GgufError(GgufProblem::bad_header,
                                file + ": key '" + key + "' has an array of unknown type " + std::to_string(et));
            }
            return GgufArrayInfo{et, n};
        }
        default:
            throw GgufError(GgufProblem::bad_header,
                            file + ": key '" + key + "' has unknown value type " + std::to_string(type));
    }
}

}  // namespace

std::optional<std::string> GgufFile::get_string(const std::string& key) const {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
    return std::nullopt;
}

std::optional<uint64_t> GgufFile::get_uint(const std::string& key) const {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    if (const auto* u = std::get_if<uint64_t>(&it->second)) return *u;
    if (const auto* i = std::get_if<int64_t>(&it->second); i && *i >= 0) return static_cast<uint64_t>(*i);
    return std::nullopt;
}

std::optional<double> GgufFile::get_float(const std::string& key) const {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    if (const auto* d = std::get_if<double>(&it->second)) return *d;
    return std::nullopt;
}

std::optional<uint64_t> GgufFile::array_length(const std::string& key) const {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    if (const auto* a = std::get_if<GgufArrayInfo>(&it->second)) return a->length;
    return std::nullopt;
}

uint64_t GgufFile::tensor_bytes() const {
    uint64_t total = 0;
    for (const auto& t : tensors) total += t.bytes;
    return total;
}

namespace {

// The validation itself, over any stream of `size` bytes (a file, or memory for the fuzz tests).
GgufFile parse(FILE* stream, uint64_t size, const std::string& name) {
    GgufFile g;
    g.file_size = size;
    Reader r(stream, g.file_size, name);

    char magic[4];
    if (g.file_size < 4) throw GgufError(GgufProblem::not_gguf, name + ": not a GGUF file (too short)");
    r.read(magic, 4, "the magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
        throw GgufError(GgufProblem::not_gguf, name + ": not a GGUF file (the first bytes are not 'GGUF')");
    }
    g.version = r.get<uint32_t>("the version");
    if (g.version != 2 && g.version != 3) {
        throw GgufError(GgufProblem::unsupported_version,
                        name + ": GGUF version " + std::to_string(g.version) + " is not supported (2 or 3)");
    }
    const auto n_tensors = r.get<uint64_t>("the tensor count");
    const auto n_kv = r.get<uint64_t>("the metadata count");
    if (n_tensors > kMaxTensors || n_kv > kMaxKv) {
        throw GgufError(GgufProblem::bad_header, name + ": header claims " + std::to_string(n_tensors) +
                                                     " tensors and " + std::to_string(n_kv) + " metadata keys");
    }
    // Each key takes at least 13 bytes (length, type, a 1-byte value) and each tensor 32 (name length, rank, one
    // dimension, type, offset). Plausible counts that the rest of the file cannot hold mean it was cut short (a
    // partial download), checked before anything is allocated for them.
    if (n_kv > r.remaining() / 13 || n_tensors > (r.remaining() - n_kv * 13) / 32) {
        throw GgufError(GgufProblem::truncated, name + ": file ends before its " + std::to_string(n_kv) +
                                                    " metadata keys and " + std::to_string(n_tensors) + " tensors (" +
                                                    std::to_string(r.remaining()) + " bytes left)");
    }
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = r.string(kMaxKeyLength, "a metadata key");
        const auto type = r.get<uint32_t>("a value type");
        GgufValue v = read_value(r, type, key, name);
        if (!g.metadata.emplace(key, std::move(v)).second) {
            throw GgufError(GgufProblem::bad_header, name + ": duplicate metadata key '" + key + "'");
        }
    }
    if (auto a = g.get_uint("general.alignment")) {
        if (*a == 0 || (*a & (*a - 1)) != 0 || *a > (1u << 20)) {
            throw GgufError(GgufProblem::bad_header,
                            name + ": general.alignment " + std::to_string(*a) + " is not a power of two");
        }
        g.alignment = *a;
    }

    g.tensors.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensor t;
        t.name = r.string(kMaxKeyLength, "a tensor name");
        const auto n_dims = r.get<uint32_t>("a tensor rank");
        if (n_dims == 0 || n_dims > kMaxDims) {
            throw GgufError(GgufProblem::bad_tensor,
                            name + ": tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions");
        }
        uint64_t elements = 1;
        for (uint32_t d = 0; d < n_dims; ++d) {
            const auto n = r.get<uint64_t>("a tensor dimension");
            if (n == 0 || n > (1ull << 40) || elements > (1ull << 48) / n) {
                throw GgufError(GgufProblem::bad_tensor, name + ": tensor '" + t.name + "' has an impossible shape");
            }
            elements *= n;
            t.dims.push_back(n);
        }
        t.type = r.get<uint32_t>("a tensor type");
        t.offset = r.get<uint64_t>("a tensor offset");
        const auto info = find_ggml_type(t.type);
        if (!info) {
            throw GgufError(GgufProblem::bad_tensor,
                            name + ": tensor '" + t.name + "' has unknown type " + std::to_string(t.type));
        }
        if (t.dims[0] % info->block_elements != 0) {
            throw GgufError(GgufProblem::bad_tensor, name + ": tensor '" + t.name + "' row of " +
                                                         std::to_string(t.dims[0]) + " is not a multiple of the " +
                                                         std::string(info->name) + " block");
        }
        t.bytes = elements / info->block_elements * info->block_bytes;
        if (t.offset % g.alignment != 0) {
            throw GgufError(GgufProblem::bad_tensor, name + ": tensor '" + t.name + "' is not aligned");
        }
        g.tensors.push_back(std::move(t));
    }
    g.data_offset = (r.pos() + g.alignment - 1) / g.alignment * g.alignment;
    for (const auto& t : g.tensors) {
        const uint64_t end = g.data_offset + t.offset + t.bytes;
        if (t.offset > g.file_size || end < t.offset || end > g.file_size) {
            throw GgufError(GgufProblem::truncated, name + ": tensor '" + t.name + "' ends at byte " +
                                                        std::to_string(end) + " but the file has " +
                                                        std::to_string(g.file_size) + " (truncated download?)");
        }
    }
    check_hyperparameters(g, name);
    return g;
}

}  // namespace

GgufFile read_gguf(const fs::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (!fs::exists(status)) throw GgufError(GgufProblem::not_found, name + ": no such file");
    if (!fs::is_regular_file(status)) throw GgufError(GgufProblem::unreadable, name + ": not a regular file");
    const uint64_t size = fs::file_size(path, ec);
    if (ec) throw GgufError(GgufProblem::unreadable, name + ": " + ec.message());

    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rbe"), &std::fclose);
    if (!file) throw GgufError(GgufProblem::unreadable, name + ": " + std::strerror(errno));
    std::setvbuf(file.get(), nullptr, _IOFBF, 1 << 16);
    return parse(file.get(), size, name);
}

GgufFile parse_gguf(const void* data, size_t size, const std::string& name) {
    if (size < 4) throw GgufError(GgufProblem::not_gguf, name + ": not a GGUF file (too short)");
    std::unique_ptr<FILE, int (*)(FILE*)> stream(::fmemopen(const_cast<void*>(data), size, "rb"), &std::fclose);
    if (!stream) throw GgufError(GgufProblem::unreadable, name + ": " + std::strerror(errno));
    return parse(stream.get(), size, name);
}

}  // namespace tsuku::model
