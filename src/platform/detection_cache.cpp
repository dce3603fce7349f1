#include "platform/detection_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/unique_fd.h"
#include "platform/system_root.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::platform {
namespace {
constexpr int kSchema = 1;
}

std::optional<CachedProbes> read_detection_cache(const fs::path& file) {
    const auto text = read_small_file(file, 4 << 20);
    if (!text) return std::nullopt;
    const json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("schema", 0) != kSchema) return std::nullopt;
    try {
        CachedProbes c;
        c.fingerprint = j.at("fingerprint").get<std::string>();
        c.tsuku_version = j.at("tsuku_version").get<std::string>();
        c.vulkan.kind = ProbeKind::vulkan;
        c.cuda.kind = ProbeKind::cuda;
        from_json(j.at("probes").at("vulkan"), c.vulkan);
        from_json(j.at("probes").at("cuda"), c.cuda);
        return c;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

void write_detection_cache(const fs::path& file, const CachedProbes& c) {
    const json j = {{"schema", kSchema},
                    {"fingerprint", c.fingerprint},
                    {"tsuku_version", c.tsuku_version},
                    {"probes", {{"vulkan", c.vulkan}, {"cuda", c.cuda}}}};
    const std::string text = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    auto fail = [&](int err) {
        ::unlink(tmp.c_str());
        throw UserError("cannot write the detection cache " + file.string() + ": " + errno_text(err),
                        "check that " + file.parent_path().string() + " is writable");
    };
    if (!fd) fail(errno);
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(errno);
        done += static_cast<size_t>(n);
    }
    if (::close(fd.release()) != 0) fail(errno);
    if (::rename(tmp.c_str(), file.c_str()) != 0) fail(errno);
}

}  // namespace tsuku::platform
