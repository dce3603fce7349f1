#include "platform/pci.h"

#include <algorithm>
#include <array>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

struct VendorRow {
    uint16_t id;
    std::string_view name;
    GpuVendor vendor;
};

// The vendors of docs/design.md §5.1 and the display devices that commonly sit beside them (server BMCs, virtual
// machines).
constexpr std::array<VendorRow, 10> kVendors{{
    {0x10de, "nvidia", GpuVendor::nvidia},
    {0x1002, "amd", GpuVendor::amd},
    {0x8086, "intel", GpuVendor::intel},
    {0x1a03, "aspeed", GpuVendor::other},
    {0x102b, "matrox", GpuVendor::other},
    {0x1af4, "virtio", GpuVendor::other},
    {0x15ad, "vmware", GpuVendor::other},
    {0x1234, "qemu", GpuVendor::other},
    {0x1414, "microsoft", GpuVendor::other},
    {0x1b36, "redhat-qxl", GpuVendor::other},
}};

// Intel's discrete cards (Arc): DG1 0x4905-0x4908, DG2/Alchemist 0x5690-0x56bf, Battlemage 0xe202-0xe212.
bool intel_discrete(uint16_t device) {
    return (device >= 0x4905 && device <= 0x4908) || (device >= 0x5690 && device <= 0x56bf) ||
           (device >= 0xe202 && device <= 0xe212);
}

bool guess_integrated(const PciGpu& g) {
    switch (g.vendor) {
        case GpuVendor::intel: return !intel_discrete(g.device_id);
        // APUs carve their "VRAM" out of system memory, typically 512 MiB to 2 GiB; discrete cards have more.
        case GpuVendor::amd: return g.vram_bytes && *g.vram_bytes <= (uint64_t{2} << 30);
        default: return false;
    }
}

}  // namespace

bool is_display_class(uint32_t class_code) {
    const uint32_t cls = class_code >> 8;
    return cls == 0x0300 || cls == 0x0302 || cls == 0x0380;
}

std::string_view vendor_name(uint16_t vendor_id) {
    for (const auto& v : kVendors) {
        if (v.id == vendor_id) return v.name;
    }
    return "unknown";
}

GpuVendor vendor_of(uint16_t vendor_id) {
    for (const auto& v : kVendors) {
        if (v.id == vendor_id) return v.vendor;
    }
    return GpuVendor::other;
}

std::vector<PciGpu> scan_pci_gpus(const SystemRoot& sys) {
    std::vector<PciGpu> out;
    std::error_code ec;
    for (fs::directory_iterator it(sys.at("/sys/bus/pci/devices"), ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path dir = it->path();
        const auto cls = read_small_file(dir / "class", 64);
        if (!cls) continue;
        const auto class_code = parse_number(*cls);
        if (!class_code || !is_display_class(static_cast<uint32_t>(*class_code))) continue;
        const auto vendor = read_small_file(dir / "vendor", 64);
        const auto device = read_small_file(dir / "device", 64);
        const auto vendor_id = vendor ? parse_number(*vendor) : std::nullopt;
        const auto device_id = device ? parse_number(*device) : std::nullopt;
        if (!vendor_id || !device_id) continue;
        PciGpu g;
        g.address = dir.filename().string();
        g.vendor_id = static_cast<uint16_t>(*vendor_id);
        g.device_id = static_cast<uint16_t>(*device_id);
        g.class_code = static_cast<uint32_t>(*class_code);
        g.vendor = vendor_of(g.vendor_id);
        g.vendor_name = std::string(vendor_name(g.vendor_id));
        g.driver = link_target_name(dir / "driver");
        if (auto b = read_trimmed(dir / "boot_vga")) g.boot_vga = *b == "1";
        if (auto v = read_small_file(dir / "mem_info_vram_total", 64)) g.vram_bytes = parse_number(*v);
        g.integrated = guess_integrated(g);
        out.push_back(std::move(g));
    }
    std::sort(out.begin(), out.end(), [](const PciGpu& a, const PciGpu& b) { return a.address < b.address; });
    return out;
}

}  // namespace tsuku::platform
