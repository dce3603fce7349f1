// Which platform this is: the manifest's platform key, the distribution, the kernel, WSL, containers.
#pragma once

#include <optional>
#include <string>

#include "platform/sandbox.h"
#include "platform/system_root.h"

namespace tsuku::platform {

struct OsInfo {
    std::string platform;        // manifest key: "linux-amd64", "linux-arm64"
    std::string distro_id;       // os-release ID ("debian", "fedora", "arch", "nixos", "ubuntu"), "" if unknown
    std::string distro_version;  // os-release VERSION_ID
    std::string distro_name;     // os-release PRETTY_NAME
    std::string kernel;          // /proc/sys/kernel/osrelease
    bool wsl = false;            // Windows Subsystem for Linux (2): GPUs arrive through /dev/dxg, not PCI
    bool wsl_gpu = false;        // /dev/dxg exists: the Windows host shares its GPU
    bool container = false;      // Docker, Podman, Toolbox, Distrobox, LXC…: not Flatpak or Snap (sandbox.h)
    Sandbox sandbox;
};

// The manifest key of the platform tsuku was built for.
std::string build_platform_key();

OsInfo read_os_info(const SystemRoot& sys);

}  // namespace tsuku::platform
