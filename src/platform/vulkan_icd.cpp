#include "platform/vulkan_icd.h"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace fs = std::filesystem;

namespace tsuku::platform {
namespace {

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find(':', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

bool is_software_library(const std::string& lib) {
    const std::string name = fs::path(lib).filename().string();
    return name.find("lvp") != std::string::npos || name.find("swiftshader") != std::string::npos;
}

VulkanIcd read_manifest(const SystemRoot& sys, const std::string& manifest) {
    VulkanIcd icd;
    icd.manifest = manifest;
    const fs::path real = sys.at(manifest);
    struct stat st {};
    if (::stat(real.c_str(), &st) == 0) {
        icd.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    const auto text = read_small_file(real, 1 << 20);
    if (!text) {
        icd.error = "cannot read the manifest";
        return icd;
    }
    const auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("ICD") || !j["ICD"].is_object()) {
        icd.error = "not a Vulkan ICD manifest (no \"ICD\" object)";
        return icd;
    }
    const auto& i = j["ICD"];
    if (i.contains("library_path") && i["library_path"].is_string()) icd.library_path = i["library_path"];
    if (i.contains("api_version") && i["api_version"].is_string()) icd.api_version = i["api_version"];
    if (!icd.library_path) icd.error = "the manifest names no library_path";
    icd.software = icd.library_path && is_software_library(*icd.library_path);
    return icd;
}

void add_folder_manifests(const SystemRoot& sys, const std::string& folder, std::vector<std::string>& files) {
    std::error_code ec;
    std::vector<std::string> found;
    for (fs::directory_iterator it(sys.at(folder), ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".json") found.push_back(folder + "/" + it->path().filename().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
}

}  // namespace

VulkanIcdSearch find_vulkan_icds(const SystemRoot& sys, const std::vector<std::string>& sandbox_folders) {
    VulkanIcdSearch out;
    std::vector<std::string> files;
    std::optional<std::string> override_value;
    for (const char* var : {"VK_DRIVER_FILES", "VK_ICD_FILENAMES"}) {
        if (auto v = sys.env.get_nonempty(var)) {
            override_value = *v;
            out.override_variable = var;
            break;
        }
    }
    if (override_value) {
        for (const auto& entry : split(*override_value)) {
            std::error_code ec;
            if (fs::is_directory(sys.at(entry), ec)) {
                out.folders.push_back(entry);
                add_folder_manifests(sys, entry, files);
            } else {
                files.push_back(entry);
            }
        }
    } else {
        std::vector<std::string> roots;
        const auto config_dirs = sys.env.get_nonempty("XDG_CONFIG_DIRS").value_or("/etc/xdg");
        for (auto& d : split(config_dirs)) roots.push_back(d);
        roots.push_back("/etc");
        if (auto data_home = sys.env.get_nonempty("XDG_DATA_HOME")) {
            roots.push_back(*data_home);
        } else if (auto home = sys.env.get_nonempty("HOME")) {
            roots.push_back(*home + "/.local/share");
        }
        const auto data_dirs = sys.env.get_nonempty("XDG_DATA_DIRS").value_or("/usr/local/share:/usr/share");
        for (auto& d : split(data_dirs)) roots.push_back(d);
        roots.push_back("/run/opengl-driver/share");  // NixOS: where its patched loader looks
        std::set<std::string> seen;
        for (const auto& r : roots) {
            const std::string folder =
                (r.size() > 1 && r.back() == '/' ? r.substr(0, r.size() - 1) : r) + "/vulkan/icd.d";
            if (!seen.insert(folder).second) continue;
            out.folders.push_back(folder);
            add_folder_manifests(sys, folder, files);
        }
        for (const auto& folder : sandbox_folders) {
            if (!seen.insert(folder).second) continue;
            out.folders.push_back(folder);
            add_folder_manifests(sys, folder, files);
        }
    }
    if (auto extra = sys.env.get_nonempty("VK_ADD_DRIVER_FILES")) {
        for (const auto& entry : split(*extra)) files.push_back(entry);
    }
    for (const auto& f : files) out.icds.push_back(read_manifest(sys, f));
    return out;
}

}  // namespace tsuku::platform
