// The closed tables (backends, reason codes, exit codes) parse what they print and nothing else.
#include <gtest/gtest.h>

#include <set>

#include "common/backend.h"
#include "common/backend_failure.h"
#include "common/exit_codes.h"

using namespace tsuku;

TEST(Tables, BackendsRoundTripAndRejectUnknownNames) {
    for (const auto& b : kBackends) EXPECT_EQ(parse_backend(b.name), b.backend);
    for (const char* bad : {"", "CPU", "../cpu", "cuda ", "rocm", "cpu/../../etc"}) {
        EXPECT_FALSE(parse_backend(bad)) << bad;
    }
    EXPECT_EQ(backend_names_joined(), "cpu, vulkan, cuda, metal");
}

TEST(Tables, BackendFailureCodesAreUniqueAndRoundTrip) {
    std::set<std::string_view> codes;
    for (const auto& f : kBackendFailures) {
        EXPECT_TRUE(codes.insert(f.code).second);
        EXPECT_EQ(parse_backend_failure(f.code), f.reason);
    }
    EXPECT_FALSE(parse_backend_failure("segfault"));
}

TEST(Tables, ExitCodesMatchSysexits) {
    EXPECT_EQ(to_int(ExitCode::backend_unavailable), 78);
    EXPECT_EQ(to_int(ExitCode::model_invalid), 65);
    EXPECT_EQ(to_int(ExitCode::model_missing), 66);
    EXPECT_EQ(to_int(ExitCode::socket_unavailable), 73);
    EXPECT_EQ(to_int(ExitCode::internal), 70);
    EXPECT_EQ(exit_code_name(78), "backend_unavailable");
    EXPECT_EQ(exit_code_name(3), "");
}
