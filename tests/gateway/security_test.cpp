// The exposure rules of tsuku llm serve: loopback by default, any other address only with a token and TLS; the
// token file's permissions; constant-time comparison.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/error.h"
#include "gateway/http_server.h"
#include "gateway/listen_address.h"
#include "gateway/token_file.h"
#include "support/temp_dir.h"

namespace {

using namespace tsuku::gateway;

TEST(ListenAddress, ParsesAndRefusesNamingTheOption) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:11435", "--http").port, 11435);
    const auto v6 = parse_listen_address("[::1]:80", "--http");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.text(), "[::1]:80");
    for (const char* bad : {"11435", ":80", "host:", "host:99999", "::1:80", "[::1:80", "h:8x"}) {
        try {
            parse_listen_address(bad, "--http");
            ADD_FAILURE() << bad << " was accepted";
        } catch (const tsuku::UserError& e) {
            EXPECT_NE(std::string(e.what()).find("--http"), std::string::npos) << e.what();
            EXPECT_EQ(e.code(), tsuku::ExitCode::usage);
        }
    }
    EXPECT_TRUE(is_loopback("127.0.0.1"));
    EXPECT_TRUE(is_loopback("127.1.2.3"));
    EXPECT_TRUE(is_loopback("::1"));
    EXPECT_TRUE(is_loopback("localhost"));
    EXPECT_FALSE(is_loopback("0.0.0.0"));
    EXPECT_FALSE(is_loopback("::"));
    EXPECT_FALSE(is_loopback("192.168.1.5"));
    EXPECT_FALSE(is_loopback("example.com"));
}

TEST(Exposure, AnOpenAddressNeedsBothATokenAndTls) {
    GatewayOptions o;
    o.listen = {"0.0.0.0", 8080};
    const auto refusal = [&] {
        try {
            check_exposure(o);
        } catch (const tsuku::UserError& e) {
            return std::string(e.what()) + " | " + e.fix();
        }
        return std::string("(accepted)");
    };
    auto r = refusal();
    EXPECT_NE(r.find("--token-file"), std::string::npos) << r;
    EXPECT_NE(r.find("--tls-cert"), std::string::npos) << r;
    o.token = "t";
    EXPECT_NE(refusal().find("TLS is off"), std::string::npos);
    o.token.clear();
    o.tls_cert = "c.pem";
    o.tls_key = "k.pem";
    EXPECT_NE(refusal().find("no token"), std::string::npos);
    o.token = "t";
    EXPECT_EQ(refusal(), "(accepted)");
    o.tls_key.clear();
    EXPECT_NE(refusal().find("--tls-key"), std::string::npos) << "a certificate without its key";
    o = GatewayOptions{};
    EXPECT_EQ(refusal(), "(accepted)") << "loopback without a token is the default";
}

TEST(TokenFile, OnlyAPrivateFileWithOneToken) {
    tsuku::test::TempDir dir;
    const auto file = dir / "token";
    std::ofstream(file) << "  abc123\n";
    ::chmod(file.c_str(), 0600);
    EXPECT_EQ(read_token_file(file), "abc123");
    ::chmod(file.c_str(), 0640);
    try {
        read_token_file(file);
        ADD_FAILURE() << "a group-readable token file was accepted";
    } catch (const tsuku::UserError& e) {
        EXPECT_NE(e.fix().find("chmod 600"), std::string::npos) << e.fix();
    }
    std::ofstream(file, std::ios::trunc) << "two words\n";
    ::chmod(file.c_str(), 0600);
    EXPECT_THROW(read_token_file(file), tsuku::UserError);
    EXPECT_THROW(read_token_file(dir / "missing"), tsuku::UserError);
}

TEST(TokenFile, Comparison) {
    EXPECT_TRUE(tokens_equal("secret", "secret"));
    EXPECT_FALSE(tokens_equal("secreT", "secret"));
    EXPECT_FALSE(tokens_equal("secret-and-more", "secret"));
    EXPECT_FALSE(tokens_equal("sec", "secret"));
    EXPECT_FALSE(tokens_equal("", "secret"));
    EXPECT_TRUE(bearer_matches("Bearer secret", "secret"));
    EXPECT_TRUE(bearer_matches("bearer secret", "secret"));
    EXPECT_FALSE(bearer_matches("Basic secret", "secret"));
    EXPECT_FALSE(bearer_matches("secret", "secret"));
    EXPECT_FALSE(bearer_matches("", "secret"));
}

}  // namespace
