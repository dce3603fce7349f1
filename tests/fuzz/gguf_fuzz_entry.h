// The one entry point of the GGUF header fuzzing, shared by the libFuzzer target (gguf_fuzz.cpp, clang builds) and
// the always-built replay test: any bytes either parse into a header whose promises hold, or throw GgufError.
// Anything else (another exception, a crash, a sanitizer report) is a bug in the validator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "model/gguf_reader.h"

namespace tsuku::fuzz {

// Throws std::logic_error when an accepted header breaks a promise of read_gguf.
inline void gguf_header_one_input(const uint8_t* data, size_t size) {
    tsuku::model::GgufFile g;
    try {
        g = tsuku::model::parse_gguf(data, size);
    } catch (const tsuku::model::GgufError&) {
        return;  // refused, with a reason: the expected outcome for almost every input
    }
    if (g.file_size != size) throw std::logic_error("file_size is not the input size");
    if (g.data_offset > size && !g.tensors.empty()) throw std::logic_error("data section starts past the end");
    for (const auto& t : g.tensors) {
        if (t.dims.empty() || t.dims.size() > 4) throw std::logic_error("tensor '" + t.name + "' has a bad rank");
        if (g.data_offset + t.offset + t.bytes > size) throw std::logic_error("tensor '" + t.name + "' is outside");
    }
}

}  // namespace tsuku::fuzz
