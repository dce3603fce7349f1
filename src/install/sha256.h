// SHA-256 with OpenSSL's EVP interface (hardware-accelerated where the CPU can), streaming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace tsuku::install {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // The digest as 64 lowercase hex digits. The object starts over afterwards.
    std::string finish();
    void reset();

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const noexcept;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// Hashes `file`, adding its bytes to `hash` (so a resumed download can hash what it already has); returns the
// number of bytes read. Throws UserError when the file cannot be read.
uint64_t hash_file_into(const std::filesystem::path& file, Sha256& hash);
// The sha256 of a whole file, as 64 lowercase hex digits.
std::string sha256_file(const std::filesystem::path& file);
std::string sha256_hex(std::string_view data);

// True for exactly 64 lowercase hex digits (the form the manifest uses).
bool is_sha256_hex(std::string_view text);

}  // namespace tsuku::install
