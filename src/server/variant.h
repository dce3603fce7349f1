// The backend this tsuku-llm executable was built for. variant.cpp is compiled once per variant executable with
// TSUKU_VARIANT_BACKEND set, so one source tree yields the cpu, vulkan and cuda servers.
#pragma once

#include "common/backend.h"

namespace tsuku::server {
Backend compiled_backend();
}
