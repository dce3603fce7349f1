#include "support/http_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace tsuku::test {

HttpServer::HttpServer(const fs::path& root) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    const std::string log = (log_dir_ / "requests.jsonl").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(write_end.get(), STDOUT_FILENO);
        ::execl("/usr/bin/python3", "python3", TSUKU_TEST_HTTP_SERVER, root.c_str(), log.c_str(), nullptr);
        ::_exit(127);
    }
    write_end.reset();
    // The first line is the port; EOF first means the server could not start.
    std::string line;
    char c;
    while (::read(read_end.get(), &c, 1) == 1 && c != '\n') line += c;
    port_ = line.empty() ? 0 : std::stoi(line);
    if (port_ <= 0) throw std::runtime_error("http_server.py did not start");
}

HttpServer::~HttpServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
}

std::string HttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

std::vector<nlohmann::json> HttpServer::requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(log_dir_ / "requests.jsonl");
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

}  // namespace tsuku::test
