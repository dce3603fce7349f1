#include "install/locations.h"

namespace fs = std::filesystem;

namespace tsuku::install {

bool needs_network(const std::string& url) { return url.rfind("file://", 0) != 0; }

fs::path variant_dir(const Home& home, const manifest::Manifest& m, Backend backend) {
    return home.tools_dir() / m.addon_version / std::string(backend_name(backend));
}

bool variant_installed(const Home& home, const manifest::Manifest& m, Backend backend) {
    return fs::exists(variant_dir(home, m, backend) / "variant.json");
}

fs::path model_path(const Home& home, const manifest::Model& m) { return home.models_dir() / (m.name + ".gguf"); }

bool model_present(const Home& home, const manifest::Model& m) {
    std::error_code ec;
    const auto size = fs::file_size(model_path(home, m), ec);
    return !ec && size == m.artifact.size;
}

}  // namespace tsuku::install
