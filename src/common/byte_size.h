// Sizes in bytes as people write them ("1GiB", "512MiB", "2GB", "1500000", "0"), and every byte formatter the
// programs print with, in one place.
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

// Memory: whole MiB below `gib_from`, then GiB with one decimal: "512 MiB", "2.0 GiB".
std::string format_memory(uint64_t bytes, uint64_t gib_from = uint64_t{1} << 30);
// A download in a question or a refusal, rounded to the nearest MiB: "525 MiB".
std::string format_mib_rounded(uint64_t bytes);
// A package in a listing, one decimal: "17.6 MiB".
std::string format_mib_decimal(uint64_t bytes);
// Transfer amounts and rates in SI units, as download tools print them: "999 B", "1.5 MB", "2.1 GB".
std::string format_si_bytes(uint64_t bytes);

}  // namespace tsuku
