// fake-variant: a test stand-in for tsuku-llm for the behaviours a real variant cannot be made to show on demand.
// It takes the server's command line (serve --socket S --model M --notify-fd N …) and behaves by TSUKU_FAKE_MODE:
//   crash            dies of SIGSEGV at start-up
//   model_crash      says its backend works (backend_ok), then dies of SIGABRT, as llama.cpp does on a bad model
//   hang             never becomes ready (and ignores SIGTERM)
//   exit78           after TSUKU_FAKE_DELAY_MS, sends a `failed` event (reason TSUKU_FAKE_REASON) and exits 78
//   die_mid_request  serves like a server (lock, socket 0600, ready) but dies when a Complete arrives
// A mock only for what cannot exist here: real variants are used for every behaviour they really have.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/file_lock.h"
#include "common/home.h"
#include "common/server_event.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace v1 = tsuku::llm::v1;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

void send(int fd, const tsuku::ServerEvent& e) {
    const std::string line = tsuku::to_json_line(e);
    if (fd >= 0 && ::write(fd, line.data(), line.size()) < 0) std::perror("fake-variant: write");
}

class DyingService final : public v1::InferenceService::Service {
    grpc::Status Complete(grpc::ServerContext*, const v1::CompletionRequest*, v1::CompletionResponse*) override {
        ::_exit(139);  // as if it crashed while generating
    }
    grpc::Status GetStatus(grpc::ServerContext*, const v1::StatusRequest*, v1::StatusResponse* r) override {
        r->set_ready(true);
        r->set_backend(env_or("TSUKU_FAKE_BACKEND", "cpu"));
        r->set_model_name("fake");
        return grpc::Status::OK;
    }
    grpc::Status Shutdown(grpc::ServerContext*, const v1::ShutdownRequest*, v1::ShutdownResponse* r) override {
        r->set_accepted(true);
        std::thread([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            ::_exit(0);
        }).detach();
        return grpc::Status::OK;
    }
};

}  // namespace

int main(int argc, char** argv) {
    std::string socket;
    int notify_fd = -1;
    for (int i = 1; i + 1 < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--socket") socket = argv[i + 1];
        if (a == "--notify-fd") notify_fd = std::atoi(argv[i + 1]);
    }
    const std::string mode = env_or("TSUKU_FAKE_MODE", "crash");
    const std::string backend = env_or("TSUKU_FAKE_BACKEND", "cuda");
    if (mode == "crash") {
        ::raise(SIGSEGV);
    } else if (mode == "model_crash") {
        send(notify_fd, tsuku::BackendOkEvent{backend});
        ::raise(SIGABRT);
    } else if (mode == "hang") {
        ::signal(SIGTERM, SIG_IGN);
        for (;;) ::pause();
    } else if (mode == "exit78") {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env_or("TSUKU_FAKE_DELAY_MS", "0").c_str())));
        send(notify_fd, tsuku::FailedEvent{"backend_unavailable", backend, env_or("TSUKU_FAKE_REASON", "init_failed"),
                                           env_or("TSUKU_FAKE_DETAIL", "fake driver refused")});
        return 78;
    } else if (mode == "die_mid_request") {
        auto lock = tsuku::FileLock::try_acquire(tsuku::lock_path_for_socket(socket));
        if (!lock) return 73;
        const std::string pid = std::to_string(::getpid());
        if (::pwrite(lock->fd(), pid.data(), pid.size(), 0) < 0) return 70;
        ::unlink(socket.c_str());
        DyingService service;
        grpc::ServerBuilder builder;
        builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
        builder.RegisterService(&service);
        ::umask(0077);
        auto server = builder.BuildAndStart();
        if (!server) return 73;
        send(notify_fd, tsuku::ReadyEvent{static_cast<long>(::getpid()), socket, backend, "fake"});
        ::close(notify_fd);
        server->Wait();
        return 0;
    }
    return 70;
}
