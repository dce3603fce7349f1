#include "gateway/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/error.h"

namespace tsuku::gateway {

std::string ListenAddress::text() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(std::string_view text, std::string_view what) {
    const auto bad = [&] {
        return UserError(
            std::string(what) + " '" + std::string(text) + "' is not HOST:PORT",
            "give an address and a port from 1 to 65535 (0: any free port), e.g. 127.0.0.1:11435 or [::1]:11435",
            ExitCode::usage);
    };
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) throw bad();
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') throw bad();
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        throw bad();  // an IPv6 address must be bracketed, or its last group would read as the port
    }
    const auto p = text.substr(colon + 1);
    int port = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port < 0 || port > 65535) throw bad();
    return {std::string(host), port};
}

bool is_loopback(const std::string& host) {
    if (host == "localhost") return true;
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

}  // namespace tsuku::gateway
