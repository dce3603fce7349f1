#include "platform/sandbox.h"

#include <sstream>

#include "common/text.h"
#include "platform/library_locator.h"

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

bool exists(const SystemRoot& sys, const std::string& abs) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(sys.at(abs), ec));
}

// /.flatpak-info is an ini file: [Application] name=org.example.App.
std::string flatpak_app(const SystemRoot& sys) {
    const auto text = read_small_file(sys.at("/.flatpak-info"));
    if (!text) return {};
    std::istringstream in(*text);
    bool application = false;
    for (std::string line; std::getline(in, line);) {
        line = std::string(trim(line));
        if (line.starts_with('[')) application = line == "[Application]" || line == "[Runtime]";
        if (application && line.starts_with("name=")) return line.substr(5);
    }
    return {};
}

}  // namespace

Sandbox detect_sandbox(const SystemRoot& sys) {
    Sandbox s;
    if (exists(sys, "/.flatpak-info")) {
        s.kind = "flatpak";
        s.evidence = "/.flatpak-info";
        s.name = flatpak_app(sys);
        // The runtime's Vulkan loader is built to search the GL extensions' merged folder.
        const std::string gl = "/usr/lib/" TSUKU_MULTIARCH "/GL";
        s.icd_folders.push_back(gl + "/vulkan/icd.d");
        s.icd_data_dirs.push_back(gl);
        return s;
    }
    if (auto snap = sys.env.get_nonempty("SNAP_NAME")) {
        s.kind = "snap";
        s.evidence = "$SNAP_NAME";
        s.name = *snap;
        // snapd's graphics interfaces mount the host's manifests here; the snap's launcher adds it to XDG_DATA_DIRS.
        s.icd_folders.push_back("/var/lib/snapd/lib/vulkan/icd.d");
        s.icd_data_dirs.push_back("/var/lib/snapd/lib");
        return s;
    }
    if (exists(sys, "/run/.toolboxenv")) {
        s.kind = "toolbox";
        s.evidence = "/run/.toolboxenv";
    } else if (sys.env.get_nonempty("DISTROBOX_ENTER_PATH") ||
               (exists(sys, "/run/.containerenv") && sys.env.get_nonempty("CONTAINER_ID"))) {
        s.kind = "distrobox";
        s.evidence = sys.env.get_nonempty("DISTROBOX_ENTER_PATH") ? "$DISTROBOX_ENTER_PATH" : "$CONTAINER_ID";
        s.name = sys.env.get_nonempty("CONTAINER_ID").value_or("");
    } else if (exists(sys, "/run/.containerenv")) {
        s.kind = "podman";
        s.evidence = "/run/.containerenv";
    } else if (exists(sys, "/.dockerenv")) {
        s.kind = "docker";
        s.evidence = "/.dockerenv";
    } else if (auto c = read_trimmed(sys.at("/run/systemd/container")); c && !c->empty()) {
        s.kind = *c;  // written by systemd-nspawn, LXC, … for systemd inside
        s.evidence = "/run/systemd/container";
    } else if (auto v = sys.env.get_nonempty("container")) {
        s.kind = *v;  // "lxc", "podman", "oci", "systemd-nspawn": set for PID 1 and often inherited
        s.evidence = "$container";
    }
    return s;
}

std::string sandbox_label(const Sandbox& s) {
    if (s.kind.empty()) return {};
    std::string label;
    if (s.kind == "flatpak") {
        label = "Flatpak sandbox";
    } else if (s.kind == "snap") {
        label = "Snap";
    } else if (s.kind == "toolbox") {
        label = "Toolbox container";
    } else if (s.kind == "distrobox") {
        label = "Distrobox container";
    } else if (s.kind == "podman") {
        label = "Podman container";
    } else if (s.kind == "docker") {
        label = "Docker container";
    } else if (s.kind == "lxc" || s.kind == "lxc-libvirt") {
        label = "LXC container";
    } else {
        label = s.kind + " container";
    }
    if (!s.name.empty()) label += " (" + s.name + ")";
    return label + " [" + s.evidence + "]";
}

}  // namespace tsuku::platform
