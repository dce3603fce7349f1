#include "support/grpc_calls.h"

#include <thread>

#include "support/temp_dir.h"
#include "support/text.h"

namespace tsuku::test {

namespace v1 = tsuku::llm::v1;

std::unique_ptr<v1::InferenceService::Stub> stub_for(const std::filesystem::path& socket) {
    return v1::InferenceService::NewStub(
        grpc::CreateChannel("unix:" + socket.string(), grpc::InsecureChannelCredentials()));
}

v1::CompletionRequest user_request(const std::string& text, int max_tokens) {
    v1::CompletionRequest r;
    r.set_max_tokens(max_tokens);
    auto* m = r.add_messages();
    m->set_role(v1::ROLE_USER);
    m->set_content(text);
    return r;
}

tsuku::llm::v1::CompletionRequest endless_request(int max_tokens) {
    auto r = user_request("Write for ever", max_tokens);
    r.set_json_schema(R"({"type":"array","items":{"type":"string","minLength":1000},"minItems":1000})");
    return r;
}

grpc::Status call_complete(v1::InferenceService::Stub& stub, const v1::CompletionRequest& r,
                           v1::CompletionResponse* out, std::chrono::seconds deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub.Complete(&ctx, r, out);
}

bool wait_for_log(const std::filesystem::path& log, const std::string& needle, size_t times) {
    for (int i = 0; i < 12000; ++i) {
        if (count_in(read_file(log), needle) >= times) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace tsuku::test
