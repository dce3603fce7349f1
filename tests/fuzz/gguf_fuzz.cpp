// libFuzzer target for the GGUF header validator (clang only: scripts/fuzz-gguf.sh builds and runs it).
#include "gguf_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    tsuku::fuzz::gguf_header_one_input(data, size);
    return 0;
}
