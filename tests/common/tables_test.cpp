// The closed tables (backends, reason codes, exit codes) parse what they print and nothing else.
#include <gtest/gtest.h>

#include <set>

#include "common/backend.h"
#include "common/exit_codes.h"
#include "common/reasons.h"

using namespace tsuku;

TEST(Tables, BackendsRoundTripAndRejectUnknownNames) {
    for (const auto& b : kBackends) EXPECT_EQ(parse_backend(b.name), b.backend);
    for (const char* bad : {"", "CPU", "../cpu", "cuda ", "rocm", "cpu/../../etc"}) {
        EXPECT_FALSE(parse_backend(bad)) << bad;
    }
    EXPECT_EQ(backend_names_joined(), "cpu, vulkan, cuda, metal");
}

TEST(Tables, ServerFailureCodesAreASubsetOfTheOneReasonTable) {
    std::set<std::string_view> codes;
    for (const auto& f : kReasons) {
        EXPECT_TRUE(codes.insert(f.code).second);
        if (reason_from(f.reason, from_server)) {
            EXPECT_EQ(parse_server_reason(f.code), f.reason);
        } else {
            EXPECT_FALSE(parse_server_reason(f.code)) << f.code;
        }
    }
    EXPECT_FALSE(parse_server_reason("segfault"));
    EXPECT_EQ(parse_server_reason("init_failed"), Reason::init_failed);
    EXPECT_FALSE(parse_server_reason("no_hardware"));                 // detection's alone
    EXPECT_EQ(parse_reason("start_timeout"), Reason::start_timeout);  // a start attempt's
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
