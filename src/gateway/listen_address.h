// Where `tsuku llm serve` listens: "HOST:PORT" (IPv6 as "[::1]:PORT"), and whether that host is loopback only.
#pragma once

#include <string>
#include <string_view>

namespace tsuku::gateway {

struct ListenAddress {
    std::string host;  // without brackets: what getaddrinfo/bind take
    int port = 0;
    std::string text() const;  // "HOST:PORT" as given back to the user (IPv6 bracketed)
};

// Throws UserError (usage) naming `what` (e.g. "--http") for a value that is not HOST:PORT.
ListenAddress parse_listen_address(std::string_view text, std::string_view what);

// True for "localhost", 127.0.0.0/8 and ::1: addresses other machines cannot reach. Anything else (0.0.0.0, a LAN
// address, a name that resolves elsewhere) is treated as reachable from outside.
bool is_loopback(const std::string& host);

}  // namespace tsuku::gateway
