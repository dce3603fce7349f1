// tsuku llm serve [--http HOST:PORT] [--token-file F] [--tls-cert C --tls-key K] [--model M] [--backend B] [--yes]
// An OpenAI-compatible HTTP API over the inference server tsuku chose (docs/design.md §6.1):
// listens at once (GET /health says "starting"), ensures the server as complete does, keeps it from idling out,
// and starts it again when it goes away. Runs until Ctrl-C or SIGTERM; exits 0 then.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/model_inventory.h"
#include "cli/server_start.h"
#include "cli/start_status.h"
#include "common/error.h"
#include "config/keys.h"
#include "gateway/http_server.h"
#include "gateway/token_file.h"
#include "manifest/manifest.h"

namespace tsuku::cli {
namespace {

struct ServeOptions {
    std::string http;  // "" = llm.http_listen
    std::string token_file;
    std::string tls_cert;
    std::string tls_key;
    size_t max_connections = 64;
    std::string model;
    std::string backend;
    bool yes = false;
    bool quiet = false;
};

// SIGINT and SIGTERM write a byte here; the supervision loop waits on the read end (a handler may do nothing more).
int g_stop_pipe[2] = {-1, -1};
extern "C" void on_stop_signal(int) {
    const int saved = errno;
    const char byte = 's';
    [[maybe_unused]] const auto n = ::write(g_stop_pipe[1], &byte, 1);
    errno = saved;
}

// The handlers while serve runs; the previous ones come back on destruction.
class StopSignals {
public:
    StopSignals() {
        if (::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
            throw UserError("cannot create a pipe: " + errno_text(errno), "free some file descriptors and retry");
        }
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, &old_int_);
        ::sigaction(SIGTERM, &sa, &old_term_);
    }
    ~StopSignals() {
        ::sigaction(SIGINT, &old_int_, nullptr);
        ::sigaction(SIGTERM, &old_term_, nullptr);
        ::close(g_stop_pipe[0]);
        ::close(g_stop_pipe[1]);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // True when a stop signal came within `timeout`.
    bool wait(std::chrono::milliseconds timeout) {
        pollfd p{g_stop_pipe[0], POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        return r == 1 && (p.revents & POLLIN);
    }

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::vector<std::string> installed_model_names(const Context& ctx) {
    std::vector<std::string> names;
    const Home home = ctx.home();
    for (const auto& e : model_inventory(home, manifest::embedded_manifest(), serving_model(home), ctx.env)) {
        if (e.installed) names.push_back(e.name);
    }
    return names;
}

// The server, ready: what it serves, and how often to tell it a client is still here. The keep-alive comes well
// within its idle timeout (a third), and at least every 30 s so a server that went away is noticed soon.
struct Serving {
    std::shared_ptr<gateway::Upstream> upstream;
    std::chrono::milliseconds keep_alive_every{30000};
};

Serving connect(const lifecycle::SupervisedStart& start) {
    gateway::Upstream probe(start.server.socket, "", "");
    tsuku::llm::v1::StatusResponse status;
    const auto s = probe.status(true, std::chrono::seconds(10), &status);
    if (!s.ok()) {
        throw UserError("the inference server went away as it started (" + s.error_message() + ")",
                        "see the server log (tsuku llm status) and run tsuku llm serve again");
    }
    Serving out{std::make_shared<gateway::Upstream>(start.server.socket, status.backend(), status.model_name())};
    if (status.idle_remaining_ms() > 0) {
        out.keep_alive_every = std::clamp(std::chrono::milliseconds(status.idle_remaining_ms() / 3),
                                          std::chrono::milliseconds(100), std::chrono::milliseconds(30000));
    }
    return out;
}

void run(Context& ctx, const ServeOptions& o) {
    const auto cfg = ctx.config();
    gateway::GatewayOptions g;
    g.listen = gateway::parse_listen_address(o.http.empty() ? cfg.get(config::kHttpListen).value : o.http,
                                             o.http.empty() ? "llm.http_listen" : "--http");
    if (!o.token_file.empty()) g.token = gateway::read_token_file(o.token_file);
    g.tls_cert = o.tls_cert;
    g.tls_key = o.tls_key;
    g.max_connections = o.max_connections;
    gateway::check_exposure(g);
    g.installed_models = [&ctx] { return installed_model_names(ctx); };
    g.log = [&ctx](const std::string& line) { ctx.err << "tsuku: " + line + "\n" << std::flush; };

    gateway::UpstreamSlot slot;
    gateway::Gateway gw(g, slot);
    gw.bind();
    ctx.err << "tsuku: serving the OpenAI API on " << gw.url() << (g.token.empty() ? "" : " (bearer token required)")
            << "\n"
            << std::flush;
    std::thread http([&gw] { gw.run(); });
    struct StopHttp {
        gateway::Gateway& gw;
        std::thread& t;
        ~StopHttp() {
            gw.stop();
            t.join();
        }
    } stop_http{gw, http};

    StartRequest request{
        o.model.empty() ? std::nullopt : std::optional(o.model), o.backend, o.yes,
        [&slot](const std::string& backend, const std::string& model) { slot.starting(backend, model); }};
    std::unique_ptr<StopSignals> signals;
    for (;;) {
        // Holds the server's use lock while serving: no other client restarts it under our requests.
        const auto start = start_quietly_if(o.quiet, ctx, request);
        const Serving serving = connect(start);
        slot.set_ready(serving.upstream);
        ctx.err << "tsuku: ready: " << serving.upstream->backend << " serves " << serving.upstream->model << "\n"
                << std::flush;
        if (!signals) signals = std::make_unique<StopSignals>();
        for (;;) {
            if (signals->wait(serving.keep_alive_every)) {
                ctx.err << "tsuku: stopping: no new requests; the inference server stays up for other clients\n";
                return;
            }
            tsuku::llm::v1::StatusResponse status;
            const auto s = serving.upstream->status(true, std::chrono::seconds(10), &status);
            if (!s.ok() || !status.ready()) break;
        }
        slot.starting("", "");
        ctx.err << "tsuku: the inference server went away; starting it again\n" << std::flush;
    }
}

}  // namespace

void add_llm_serve(CLI::App& llm, Context& ctx) {
    auto o = std::make_shared<ServeOptions>();
    auto* cmd = llm.add_subcommand("serve",
                                   "serve an OpenAI-compatible HTTP API (chat completions, models, health) with the "
                                   "local model until Ctrl-C");
    cmd->add_option("--http", o->http,
                    "HOST:PORT to listen on (default llm.http_listen, 127.0.0.1:11435; port 0 picks a free one)");
    cmd->add_option("--token-file", o->token_file,
                    "require `Authorization: Bearer TOKEN`, TOKEN read from this file (mode 0600)");
    cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this PEM certificate (with --tls-key)");
    cmd->add_option("--tls-key", o->tls_key, "the PEM private key of --tls-cert");
    cmd->add_option("--max-connections", o->max_connections,
                    "connections served at once; more are answered 503 at once")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    cmd->add_option("--model", o->model, "a model name (tsuku llm manifest) or a .gguf path, instead of llm.model");
    cmd->add_option("--backend", o->backend, "try this backend first (as tsuku llm detect --backend)");
    cmd->add_flag("-y,--yes", o->yes, "download a missing variant or model without asking");
    cmd->add_flag("-q,--quiet", o->quiet, "no start notices on stderr");
    cmd->callback([&ctx, o] { run(ctx, *o); });
}

}  // namespace tsuku::cli
