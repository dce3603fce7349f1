#include "cli/model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"

namespace tsuku::cli {
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

void check_model_file(const std::filesystem::path& path, const std::string& source, bool for_setting) {
    const ExitCode code = for_setting ? ExitCode::usage : ExitCode::failure;
    const std::string fix = "give the path of a .gguf model file, a model name (tsuku llm manifest), or auto";
    const std::string what = source + " " + path.string();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        throw UserError(what + (err == ENOENT ? " does not exist" : ": " + errno_text(err)), fix, code);
    }
    if (!S_ISREG(st.st_mode)) throw UserError(what + " is " + kind_of(st.st_mode) + ", not a model file", fix, code);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) throw UserError(what + " cannot be read: " + errno_text(errno), "check its permissions, or " + fix, code);
    char magic[4] = {};
    if (::read(fd.get(), magic, sizeof magic) != static_cast<ssize_t>(sizeof magic) ||
        std::string(magic, 4) != "GGUF") {
        throw UserError(what + " is not a GGUF file (it does not start with \"GGUF\")", fix, code);
    }
}

}  // namespace tsuku::cli
