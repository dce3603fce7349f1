#include "gateway/upstream.h"

#include <grpcpp/grpcpp.h>

namespace tsuku::gateway {

namespace v1 = tsuku::llm::v1;

Upstream::Upstream(const std::filesystem::path& socket_path, std::string backend_name, std::string model_name)
    : socket(socket_path), backend(std::move(backend_name)), model(std::move(model_name)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    stub_ = v1::InferenceService::NewStub(
        grpc::CreateCustomChannel("unix:" + socket.string(), grpc::InsecureChannelCredentials(), args));
}

grpc::Status Upstream::status(bool keep_alive, std::chrono::milliseconds timeout, v1::StatusResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    v1::StatusRequest request;
    request.set_keep_alive(keep_alive);
    return stub_->GetStatus(&ctx, request, out);
}

bool CallRegistry::add(grpc::ClientContext* ctx) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    calls_.insert(ctx);
    return true;
}

void CallRegistry::remove(grpc::ClientContext* ctx) {
    std::lock_guard lock(mu_);
    calls_.erase(ctx);
}

void CallRegistry::cancel_all() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto* ctx : calls_) ctx->TryCancel();
}

void UpstreamSlot::starting(const std::string& backend, const std::string& model) {
    std::lock_guard lock(mu_);
    state_ = State{nullptr, backend, model};
}

void UpstreamSlot::set_ready(std::shared_ptr<Upstream> upstream) {
    std::lock_guard lock(mu_);
    state_ = State{std::move(upstream), "", ""};
}

UpstreamSlot::State UpstreamSlot::state() const {
    std::lock_guard lock(mu_);
    return state_;
}

std::shared_ptr<Upstream> UpstreamSlot::ready() const {
    std::lock_guard lock(mu_);
    return state_.ready;
}

}  // namespace tsuku::gateway
