// Which container or sandbox tsuku runs in, from the marks each one leaves, and the driver folders it brings:
// Flatpak mounts the NVIDIA driver as a GL extension (/usr/lib/<arch>/GL/nvidia-<version>/lib, Vulkan manifests
// merged under /usr/lib/<arch>/GL/vulkan/icd.d), Snap bind-mounts the host's driver at /var/lib/snapd/lib/gl
// (manifests in /var/lib/snapd/lib/vulkan/icd.d). Toolbox, Distrobox, Podman, Docker and LXC share the host's
// libraries through their image or not at all: only named.
#pragma once

#include <string>
#include <vector>

#include "platform/system_root.h"

namespace tsuku::platform {

struct Sandbox {
    std::string kind;      // "flatpak", "snap", "toolbox", "distrobox", "podman", "docker", "lxc", other
                           // $container values; "" on a plain host
    std::string evidence;  // what said so: "/.flatpak-info", "$SNAP_NAME", "/run/.toolboxenv", …
    std::string name;      // the Flatpak app id or snap name, when known
    // Folders holding Vulkan ICD manifests that this sandbox's loader searches beyond the standard ones.
    std::vector<std::string> icd_folders;
    // The data folders to add to XDG_DATA_DIRS so that another loader (the probe's, the server's) searches them.
    std::vector<std::string> icd_data_dirs;

    bool is_container() const { return !kind.empty() && kind != "flatpak" && kind != "snap"; }
};

Sandbox detect_sandbox(const SystemRoot& sys);

// "Flatpak sandbox (org.example.App)", "Docker container", "" for none.
std::string sandbox_label(const Sandbox& s);

}  // namespace tsuku::platform
