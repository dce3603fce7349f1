// Runs tests/support/http_server.py (a real HTTP server on loopback) for the life of the object.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace tsuku::test {

class HttpServer {
public:
    // Serves `root`; see http_server.py for the fault modes selected by the URL path.
    explicit HttpServer(const std::filesystem::path& root);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    int port() const { return port_; }
    // "http://127.0.0.1:<port>/<path>", e.g. url("ok/pkg.tar.zst"), url("corrupt/100/pkg.tar.zst").
    std::string url(const std::string& path) const;
    // Every request so far, in order: method, path, range, status, length (logged before the body is sent).
    std::vector<nlohmann::json> requests() const;

private:
    TempDir log_dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace tsuku::test
