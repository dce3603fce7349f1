#include "server/serve.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <cstdio>
#include <thread>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/file_lock.h"
#include "common/home.h"
#include "common/version.h"
#include "install/sha256.h"
#include "model/gguf_reader.h"
#include "platform/cpu_budget.h"
#include "server/backend_check.h"
#include "server/chat_template.h"
#include "server/inference_service.h"
#include "server/notifier.h"
#include "server/prompt_cache.h"
#include "server/request_limits.h"
#include "server/variant.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

// How long a graceful stop waits for the requests in flight to answer. They stop at the next token, so this bounds
// only one step of evaluation (a prompt batch on a slow device).
constexpr std::chrono::seconds kDrainLimit(10);

// Blocks SIGINT/SIGTERM/SIGHUP in every thread and turns them into a graceful shutdown.
void start_signal_thread(ShutdownController& shutdown) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set, &shutdown] {
        int sig = 0;
        while (sigwait(&set, &sig) == 0) {
            spdlog::info("received signal {}: shutting down", sig);
            shutdown.request(ShutdownController::Reason::signal);
        }
    }).detach();
}

void write_pid(const FileLock& lock) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock.fd(), 0) != 0 || ::pwrite(lock.fd(), pid.data(), pid.size(), 0) < 0) {
        spdlog::warn("could not record the pid in {}", lock.path().string());
    }
}

// Removes a socket left by a server that died (we hold the lock, so nobody serves it). Refuses anything else.
void clear_stale_socket(const fs::path& socket) {
    struct stat st {};
    if (::lstat(socket.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode)) {
        throw UserError(socket.string() + " exists and is not a socket", "remove it", ExitCode::socket_unavailable);
    }
    if (::unlink(socket.c_str()) != 0) {
        throw UserError("cannot remove the stale socket " + socket.string() + ": " + errno_text(errno), "remove it",
                        ExitCode::socket_unavailable);
    }
    spdlog::info("removed a stale socket left by a previous server");
}

}  // namespace

int serve(const ServeOptions& o) {
    const Backend backend = compiled_backend();
    const std::string backend_str(backend_name(backend));
    Notifier notifier(o.notify_fd);
    ShutdownController shutdown(o.idle_timeout);
    start_signal_thread(shutdown);

    // 1. Backend check: before anything else exists, so a failure costs milliseconds and leaves nothing behind.
    BackendCheck check = check_backend({backend, o.library_dir, o.allow_software_devices});
    if (!check.ok) {
        notifier.send(
            FailedEvent{"backend_unavailable", backend_str, std::string(reason_code(check.reason)), check.detail});
        throw UserError(
            "the " + backend_str + " backend cannot run here: " + std::string(reason_sentence(check.reason)) +
                "\n  detail: " + check.detail,
            "tsuku config set llm.backend cpu   (or let tsuku fall back automatically)", ExitCode::backend_unavailable);
    }
    notifier.send(BackendOkEvent{backend_str});
    for (const auto& d : check.devices) {
        spdlog::info("device {}: {} ({}, {} MiB free of {} MiB)", d.name, d.description, d.type, d.memory_free >> 20,
                     d.memory_total >> 20);
    }

    // 2. Model check: never hand llama.cpp a file we have not validated.
    model::GgufFile gguf;
    try {
        gguf = model::read_gguf(o.model);
    } catch (const model::GgufError& e) {
        if (e.problem() == model::GgufProblem::not_found) {
            throw UserError(std::string("model file missing: ") + e.what(),
                            "pass an existing .gguf with --model (tsuku downloads models for you)",
                            ExitCode::model_missing);
        }
        throw UserError(std::string("invalid model: ") + e.what(), "download the model again or pass another .gguf",
                        ExitCode::model_invalid);
    }
    if (!o.model_sha256.empty()) {
        std::string got;
        try {
            got = install::sha256_file(o.model);
        } catch (const UserError& e) {
            throw UserError(e.what(), e.fix(), ExitCode::model_invalid);
        }
        if (got != o.model_sha256) {
            throw UserError("invalid model: wrong checksum for " + o.model.string() + "\n  expected sha256 " +
                                o.model_sha256 + "\n  got      sha256 " + got,
                            "download the model again (a partial or corrupted download), or pass the right "
                            "--model-sha256",
                            ExitCode::model_invalid);
        }
        spdlog::info("model checksum verified (sha256 {})", got);
    }

    // 3. One server per socket: the lock is held for the server's whole life.
    if (!fs::is_directory(o.socket.parent_path())) {
        throw UserError("the socket folder " + o.socket.parent_path().string() + " does not exist",
                        "create it (mode 0700) first", ExitCode::socket_unavailable);
    }
    std::optional<FileLock> lock;
    try {
        lock = FileLock::try_acquire(lock_path_for_socket(o.socket));
    } catch (const UserError& e) {
        throw UserError(e.what(), e.fix(), ExitCode::socket_unavailable);
    }
    if (!lock) {
        throw UserError("another server already owns " + o.socket.string(),
                        "use that server, or stop it first (tsuku llm stop)", ExitCode::socket_unavailable);
    }
    write_pid(*lock);

    // 4. Load.
    std::unique_ptr<Engine> engine;
    std::unique_ptr<ChatTemplates> templates;
    platform::CpuBudget cpu;
    try {
        EngineOptions eo;
        eo.model_path = o.model;
        eo.context_tokens = o.context_tokens;
        // The physical cores this process may use (affinity, cgroup quota): what tsuku passes as --threads too.
        cpu = platform::cpu_budget(platform::SystemRoot{});
        if (o.threads > 0 && o.threads != cpu.threads) cpu = platform::configured_threads(cpu, o.threads, "--threads");
        eo.threads = cpu.threads;
        eo.gpu_layers = o.gpu_layers >= 0 ? o.gpu_layers : (backend == Backend::cpu ? 0 : 999);
        eo.seed = o.seed;
        engine = std::make_unique<Engine>(eo);
        templates = std::make_unique<ChatTemplates>(engine->model());
    } catch (const std::exception& e) {
        throw UserError(e.what(), "check the model file; see the log above", ExitCode::model_invalid);
    }
    spdlog::info("model {} ({}) loaded: context {} tokens, threads {}, chat template: {}", engine->model_name(),
                 engine->gguf_name(), engine->context_tokens(), cpu.why, templates->template_used());

    // The persistent prompt cache: its identity is everything a state's validity depends on.
    std::unique_ptr<PromptCache> prompt_cache;
    if (!o.prompt_cache_dir.empty() && o.prompt_cache_bytes > 0) {
        PromptCacheOptions pc;
        pc.dir = o.prompt_cache_dir;
        pc.budget_bytes = o.prompt_cache_bytes;
        stat_model(o.model, pc.identity);
        pc.identity.model_sha256 = o.model_sha256;
        pc.identity.backend = backend_str;
        pc.identity.addon_version = kVersion;
        pc.identity.llama_cpp = kLlamaCppRelease;
        pc.identity.context_tokens = engine->context_tokens();
        pc.identity.kv_settings = engine->kv_settings();
        try {
            prompt_cache = std::make_unique<PromptCache>(*engine, pc);
            engine->set_state_source(prompt_cache.get());
        } catch (const std::exception& e) {  // a cache is never worth refusing to serve
            spdlog::warn("prompt cache off: {}", e.what());
        }
    }

    // 5. Bind, private to the user.
    clear_stale_socket(o.socket);
    ServerIdentity identity;
    identity.model_name = engine->model_name();
    identity.gguf_name = engine->gguf_name();
    identity.model_size_bytes = static_cast<int64_t>(gguf.file_size);
    identity.backend = backend_str;
    identity.addon_version = kVersion;
    identity.devices = check.devices;
    identity.threads = engine->threads();
    identity.threads_why = cpu.why;
    identity.max_request_bytes = max_request_bytes(engine->context_tokens());
    if (backend != Backend::cpu && !check.devices.empty()) {
        const size_t free_bytes = check.devices.front().memory_free;
        identity.available_vram_bytes = [free_bytes] { return static_cast<int64_t>(free_bytes); };
    }
    InferenceService service(*engine, *templates, shutdown, identity, o.max_waiting, prompt_cache.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + o.socket.string(), grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    builder.SetMaxReceiveMessageSize(static_cast<int>(identity.max_request_bytes));
    const mode_t old_umask = ::umask(0077);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ::umask(old_umask);
    if (!server) {
        throw UserError("cannot listen on " + o.socket.string(),
                        "check that the folder is writable and the path is not in use", ExitCode::socket_unavailable);
    }
    ::chmod(o.socket.c_str(), 0600);

    // 6. Ready.
    notifier.send(ReadyEvent{static_cast<long>(::getpid()), o.socket.string(), backend_str, engine->model_name()});
    notifier.close();
    spdlog::info("serving on {} (backend {}, idle timeout {} ms)", o.socket.string(), backend_str,
                 o.idle_timeout.count());

    const auto reason = shutdown.wait();
    spdlog::info("stopping: {}", shutdown_reason_name(reason));
    // Graceful: the generation in flight stops at its next token and answers with what it has ("cancelled"); the
    // waiting requests leave the queue (UNAVAILABLE). Their answers are sent before the server closes, unless a
    // signal hurries the stop (or it was immediate): then the calls still open are cancelled.
    const bool drained = shutdown.wait_drained(std::chrono::steady_clock::now() + kDrainLimit);
    if (!drained) {
        spdlog::warn("stopping without waiting for the requests in flight ({})",
                     shutdown.hurried() ? "hurried" : "they did not end in time");
    }
    // Drained: the handlers have returned and gRPC is sending their answers; a moment for that (gRPC also waits that
    // long for clients that keep an idle channel open), then the rest is cancelled.
    server->Shutdown(std::chrono::system_clock::now() + (drained ? std::chrono::seconds(1) : std::chrono::seconds(0)));
    server->Wait();
    ::unlink(o.socket.c_str());
    if (prompt_cache) prompt_cache->flush();  // the last reply's state, if it is still to be saved
    spdlog::info("stopped");
    return to_int(ExitCode::ok);
}

}  // namespace tsuku::server
