#include "common/reasons.h"

namespace tsuku {
namespace {
const ReasonInfo& info(Reason r) {
    for (const auto& i : kReasons) {
        if (i.reason == r) return i;
    }
    return kReasons.back();
}
}  // namespace

std::string_view reason_code(Reason r) { return info(r).code; }
std::string_view reason_sentence(Reason r) { return info(r).sentence; }
bool reason_from(Reason r, ReasonSource source) { return (info(r).sources & source) != 0; }

std::optional<Reason> parse_reason(std::string_view code) {
    for (const auto& i : kReasons) {
        if (i.code == code) return i.reason;
    }
    return std::nullopt;
}

std::optional<Reason> parse_server_reason(std::string_view code) {
    const auto r = parse_reason(code);
    if (r && reason_from(*r, from_server)) return r;
    return std::nullopt;
}

}  // namespace tsuku
