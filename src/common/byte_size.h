// Sizes in bytes as people write them: "1GiB", "512MiB", "2GB", "1500000" (bytes), "0".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

// Units: B, KiB/MiB/GiB/TiB (powers of 1024), KB/MB/GB/TB (powers of 1000); no unit: bytes. Whole numbers only.
// nullopt for anything else or a size over 2^62.
std::optional<uint64_t> parse_byte_size(std::string_view text);
// The shortest exact form: "1GiB", "1536MiB", "2GB", "1000001" (bytes), "0".
std::string format_byte_size(uint64_t bytes);

}  // namespace tsuku
