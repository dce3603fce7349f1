#include "platform/nvidia_driver_table.h"

namespace tsuku::platform {
namespace {
DottedVersion v(std::string_view s) { return *DottedVersion::parse(s); }
}  // namespace

const CudaDriverRow* minimum_driver_row(const DottedVersion& cuda) {
    for (const auto& row : kCudaMinimumDrivers) {
        if (v(row.cuda) >= cuda) return &row;
    }
    return nullptr;
}

std::optional<DottedVersion> minimum_driver_for_cuda(const DottedVersion& cuda) {
    const auto* row = minimum_driver_row(cuda);
    if (!row) return std::nullopt;
    return v(row->min_driver);
}

std::optional<DottedVersion> max_cuda_for_driver(const DottedVersion& driver) {
    std::optional<DottedVersion> best;
    for (const auto& row : kCudaMinimumDrivers) {
        if (driver >= v(row.min_driver)) best = v(row.cuda);
    }
    return best;
}

DottedVersion cuda_version_from_int(int n) {
    return DottedVersion({static_cast<unsigned>(n / 1000), static_cast<unsigned>(n % 1000 / 10)});
}

}  // namespace tsuku::platform
