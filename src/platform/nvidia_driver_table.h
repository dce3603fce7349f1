// NVIDIA's published minimum Linux x86_64 driver for each CUDA toolkit release (CUDA Toolkit Release Notes,
// "CUDA Toolkit and Corresponding Driver Versions", the GA row of each minor release). It lets detection tell
// from /proc/driver/nvidia/version alone, before any download, that a driver is too old for a variant's CUDA.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "platform/dotted_version.h"

namespace tsuku::platform {

struct CudaDriverRow {
    std::string_view cuda;        // "13.0"
    std::string_view min_driver;  // "580.65.06"
};

// Ascending by CUDA version.
inline constexpr std::array<CudaDriverRow, 23> kCudaMinimumDrivers{{
    {"10.0", "410.48"},    {"10.1", "418.39"},    {"10.2", "440.33"},    {"11.0", "450.51.05"}, {"11.1", "455.23"},
    {"11.2", "460.27.03"}, {"11.3", "465.19.01"}, {"11.4", "470.42.01"}, {"11.5", "495.29.05"}, {"11.6", "510.39.01"},
    {"11.7", "515.43.04"}, {"11.8", "520.61.05"}, {"12.0", "525.60.13"}, {"12.1", "530.30.02"}, {"12.2", "535.54.03"},
    {"12.3", "545.23.06"}, {"12.4", "550.54.14"}, {"12.5", "555.42.02"}, {"12.6", "560.28.03"}, {"12.8", "570.26"},
    {"12.9", "575.51.03"}, {"13.0", "580.65.06"}, {"13.1", "590.44.01"},
}};

// The row giving the minimum driver for a CUDA version ("13.0" -> 580.65.06); for a version between rows (12.7),
// the next row. nullptr when the version is newer than the table: the table cannot judge it (the probe's
// cuDriverGetVersion can).
const CudaDriverRow* minimum_driver_row(const DottedVersion& cuda);
std::optional<DottedVersion> minimum_driver_for_cuda(const DottedVersion& cuda);

// The newest CUDA version of the table a driver supports (580.82.07 -> "13.0"); nullopt below the table.
// A driver newer than the table's last row may support more than the answer.
std::optional<DottedVersion> max_cuda_for_driver(const DottedVersion& driver);

// cuDriverGetVersion's integer: 13000 -> 13.0, 12040 -> 12.4.
DottedVersion cuda_version_from_int(int v);

}  // namespace tsuku::platform
