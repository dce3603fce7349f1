// GPUs from PCI sysfs (/sys/bus/pci/devices/*): display-class devices, their ids, bound driver, and whether they are
// integrated. Pure reads; nothing is loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

enum class GpuVendor { nvidia, amd, intel, other };

struct PciGpu {
    std::string address;  // "0000:01:00.0"
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    uint32_t class_code = 0;  // 0x030000 VGA, 0x030200 3D controller, 0x038000 display controller
    GpuVendor vendor = GpuVendor::other;
    std::string vendor_name;            // "nvidia", "amd", "intel", "aspeed", … or "unknown"
    std::optional<std::string> driver;  // kernel driver bound to it ("nvidia", "amdgpu", "i915", "nouveau", …)
    bool boot_vga = false;
    bool integrated = false;
    std::optional<uint64_t> vram_bytes;  // where the driver says (amdgpu's mem_info_vram_total)
};

// Display classes of docs/design.md §5.1: the top 16 bits of the PCI class (0x0300, 0x0302, 0x0380).
bool is_display_class(uint32_t class_code);
std::string_view vendor_name(uint16_t vendor_id);
GpuVendor vendor_of(uint16_t vendor_id);

// Sorted by PCI address. Devices whose class/vendor/device files are unreadable are skipped.
std::vector<PciGpu> scan_pci_gpus(const SystemRoot& sys);

}  // namespace tsuku::platform
