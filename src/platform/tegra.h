// NVIDIA Jetson (Tegra SoCs: Orin, Xavier). Its GPU is integrated and not on PCI, so the PCI scan never sees it;
// L4T (Linux for Tegra) says it is there: /etc/nv_tegra_release, the driver's libraries in
// /usr/lib/aarch64-linux-gnu/tegra, and the board's name in /proc/device-tree/model.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "platform/system_root.h"

namespace tsuku::platform {

struct TegraInfo {
    std::string l4t_release;                 // "R36.3.0", from "# R36 (release), REVISION: 3.0, …"; may be empty
    std::string model;                       // "NVIDIA Jetson AGX Orin Developer Kit"; may be empty
    std::optional<std::string> library_dir;  // "/usr/lib/aarch64-linux-gnu/tegra" when present
    // One line for reports: "NVIDIA Jetson AGX Orin Developer Kit: integrated NVIDIA GPU, not on PCI (L4T R36.3.0)".
    std::string describe() const;
};

// nullopt unless one of the three L4T signs is present.
std::optional<TegraInfo> read_tegra(const SystemRoot& sys);

// "# R36 (release), REVISION: 3.0, GCID: …" -> "R36.3.0"; "" when the text does not look like that.
std::string parse_l4t_release(std::string_view text);

}  // namespace tsuku::platform
