// How large a request the server reads. A prompt must fit the context, so the gRPC message limit follows it: a
// 60 MB paste is refused by gRPC before it is parsed, copied or tokenised.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tsuku::server {

// 256 bytes per context token (tokens of real text are 3 to 6 bytes; tool schemas count too), at least 1 MiB and
// at most 64 MiB.
constexpr size_t max_request_bytes(uint32_t context_tokens) {
    return std::clamp<size_t>(static_cast<size_t>(context_tokens) * 256, size_t{1} << 20, size_t{64} << 20);
}

}  // namespace tsuku::server
