#include "server/mapped_libraries.h"

#include <fstream>
#include <set>
#include <sstream>

namespace tsuku::server {

std::vector<std::string> mapped_libraries(const std::filesystem::path& maps) {
    std::ifstream in(maps);
    std::set<std::string> names;
    std::string line;
    while (std::getline(in, line)) {
        // address perms offset dev inode [path]: the path is the sixth field, and may contain spaces.
        std::istringstream fields(line);
        std::string address, perms, offset, dev, inode;
        if (!(fields >> address >> perms >> offset >> dev >> inode)) continue;
        std::string path;
        std::getline(fields >> std::ws, path);
        if (path.empty() || path.front() != '/') continue;  // anonymous, [heap], [stack], [vdso]
        const std::string name = std::filesystem::path(path).filename().string();
        if (name.find(".so") != std::string::npos) names.insert(name);
    }
    return {names.begin(), names.end()};
}

}  // namespace tsuku::server
