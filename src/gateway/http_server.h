// The HTTP listener of `tsuku llm serve`: OpenAI's chat completions, models and a health check over the inference
// server's gRPC (docs/design.md §6.1). Auth, limits and timeouts are enforced here, before a
// request reaches the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/listen_address.h"
#include "gateway/upstream.h"

namespace httplib {
class Server;
}

namespace tsuku::gateway {

struct GatewayOptions {
    ListenAddress listen{"127.0.0.1", 11435};
    std::string token;               // empty: no Authorization needed (loopback only)
    std::filesystem::path tls_cert;  // both or neither: HTTPS
    std::filesystem::path tls_key;
    size_t max_body_bytes = 8u << 20;        // refused with 413 before the body is read
    size_t max_connections = 64;             // served at once; more get 503 at once
    std::chrono::seconds read_timeout{30};   // a client that sends its request this slowly is cut off
    std::chrono::seconds write_timeout{30};  // a client that reads the reply this slowly is cut off
    std::chrono::seconds keep_alive{5};      // an idle kept-alive connection is closed after this
    std::chrono::minutes request_timeout{30};
    // The names of the installed models, for GET /v1/models.
    std::function<std::vector<std::string>()> installed_models;
    // One line per notable event (a client that went away, a refusal by the server); stderr in serve.
    std::function<void(const std::string&)> log;
};

// Refuses (UserError, usage) a listen address other than loopback unless a token AND TLS are set, naming both
// fixes; and a TLS certificate without its key (or the reverse).
void check_exposure(const GatewayOptions& options);

class Gateway {
public:
    Gateway(GatewayOptions options, UpstreamSlot& upstream);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // Binds the address (port 0: any free port). Throws UserError when it cannot (in use, TLS files unreadable).
    void bind();
    int port() const { return port_; }
    std::string url() const;  // "http(s)://HOST:PORT/v1"
    // Serves until stop(); blocks.
    void run();
    void stop();

private:
    void routes();
    GatewayOptions options_;
    UpstreamSlot& upstream_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
};

}  // namespace tsuku::gateway
