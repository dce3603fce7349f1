#include "gateway/http_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "gateway/chat_handler.h"
#include "gateway/connection_pool.h"
#include "gateway/token_file.h"

namespace tsuku::gateway {

using nlohmann::json;
namespace v1 = tsuku::llm::v1;

void check_exposure(const GatewayOptions& o) {
    if (o.tls_cert.empty() != o.tls_key.empty()) {
        throw UserError("TLS needs both a certificate and its key (only " +
                            std::string(o.tls_cert.empty() ? "--tls-key" : "--tls-cert") + " was given)",
                        "give both --tls-cert CERT.pem and --tls-key KEY.pem", ExitCode::usage);
    }
    if (is_loopback(o.listen.host)) return;
    const bool tls = !o.tls_cert.empty();
    const bool token = !o.token.empty();
    if (tls && token) return;
    std::string missing = !token && !tls ? "neither a token nor TLS is set" : !token ? "no token is set" : "TLS is off";
    throw UserError(
        "refusing to serve on " + o.listen.text() + ", an address other machines can reach: " + missing,
        "serve on loopback (--http 127.0.0.1:PORT), or set both a bearer token (--token-file FILE, mode 0600) and "
        "TLS (--tls-cert CERT.pem --tls-key KEY.pem)",
        ExitCode::usage);
}

Gateway::Gateway(GatewayOptions options, UpstreamSlot& upstream) : options_(std::move(options)), upstream_(upstream) {
    if (!options_.tls_cert.empty()) {
        auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(), options_.tls_key.c_str());
        if (!ssl->is_valid()) {
            throw UserError("cannot use the TLS certificate " + options_.tls_cert.string() + " with the key " +
                                options_.tls_key.string(),
                            "give a PEM certificate and its unencrypted PEM private key (e.g. made with openssl req "
                            "-x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem)",
                            ExitCode::usage);
        }
        server_ = std::move(ssl);
    } else {
        server_ = std::make_unique<httplib::Server>();
    }
    const size_t workers = options_.max_connections;
    server_->new_task_queue = [workers] { return new ConnectionPool(workers); };
    server_->set_payload_max_length(options_.max_body_bytes);
    server_->set_read_timeout(options_.read_timeout);
    server_->set_write_timeout(options_.write_timeout);
    server_->set_keep_alive_timeout(options_.keep_alive.count());
    server_->set_keep_alive_max_count(10000);  // httplib's 5 would make a busy client reconnect every 5 requests
    server_->set_tcp_nodelay(true);            // each event leaves at once, not after Nagle's delay
    routes();
}

Gateway::~Gateway() = default;

void Gateway::routes() {
    auto& s = *server_;
    // Before the body is read: the connection bound and the token. An unauthorised body is never read.
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (ConnectionPool::overflow_connection()) {
            res.set_header("Connection", "close");
            reply_error(res, 503,
                        "too many connections (" + std::to_string(options_.max_connections) +
                            " are served at once): try again in a moment");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!options_.token.empty() && req.path != "/health" &&
            !bearer_matches(req.get_header_value("Authorization"), options_.token)) {
            res.set_header("WWW-Authenticate", "Bearer");
            reply_error(res, 401, "a valid bearer token is required (Authorization: Bearer TOKEN)");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // httplib's own refusals (413 body too large, 400 unreadable request, 404) in OpenAI's error shape.
    s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) {
            reply_error(res, 404,
                        "no route " + req.method + " " + req.path +
                            ": this server has POST /v1/chat/completions, GET /v1/models, GET /health");
        } else if (res.status == 413) {
            reply_error(res, 413, "the request body is over the limit of 8 MiB");
        } else {
            reply_error(res, res.status, "the request could not be read (HTTP " + std::to_string(res.status) + ")");
        }
        return httplib::Server::HandlerResponse::Handled;
    }));
    s.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        if (options_.log) options_.log("internal error in a request: " + what);
        reply_error(res, 500, "internal error: " + what);
    });

    s.Post("/v1/chat/completions",
           [this](const httplib::Request& req, httplib::Response& res) { handle_chat(req, res, upstream_, options_); });
    s.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
        json data = json::array();
        std::string serving;
        if (const auto up = upstream_.ready()) serving = up->model;
        if (!serving.empty())
            data.push_back({{"id", serving}, {"object", "model"}, {"created", 0}, {"owned_by", "tsuku"}});
        if (options_.installed_models) {
            for (const auto& name : options_.installed_models()) {
                if (name != serving)
                    data.push_back({{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "tsuku"}});
            }
        }
        res.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
    });
    s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        const auto state = upstream_.state();
        json body;
        if (state.ready) {
            v1::StatusResponse status;
            const auto st = state.ready->status(false, std::chrono::seconds(5), &status);
            const bool ready = st.ok() && status.ready();
            body = {{"status", ready ? "ready" : "unavailable"},
                    {"backend", state.ready->backend},
                    {"model", state.ready->model}};
            res.status = ready ? 200 : 503;
        } else {
            body = {{"status", "starting"}, {"backend", state.starting_backend}, {"model", state.starting_model}};
            res.status = 503;
        }
        if (res.status == 503) res.set_header("Retry-After", "1");
        res.set_content(body.dump(), "application/json");
    });
}

void Gateway::bind() {
    port_ = options_.listen.port == 0
                ? server_->bind_to_any_port(options_.listen.host)
                : (server_->bind_to_port(options_.listen.host, options_.listen.port) ? options_.listen.port : -1);
    if (port_ <= 0) {
        throw UserError("cannot listen on " + options_.listen.text() + ": " + errno_text(errno),
                        "choose another port (--http HOST:PORT) or stop what listens there (ss -ltnp)",
                        ExitCode::socket_unavailable);
    }
}

std::string Gateway::url() const {
    ListenAddress a = options_.listen;
    a.port = port_;
    return std::string(options_.tls_cert.empty() ? "http" : "https") + "://" + a.text() + "/v1";
}

void Gateway::run() { server_->listen_after_bind(); }

void Gateway::stop() {
    upstream_.calls().cancel_all();
    server_->stop();
}

}  // namespace tsuku::gateway
