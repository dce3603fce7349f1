#include "platform/reasons.h"

namespace tsuku::platform {
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

std::optional<Reason> parse_reason(std::string_view code) {
    for (const auto& i : kReasons) {
        if (i.code == code) return i.reason;
    }
    return std::nullopt;
}

}  // namespace tsuku::platform
