// Which variant failed on which hardware, under which conditions (state/failures.json). A variant that could not
// start is skipped on the next start with the same hardware fingerprint and the same conditions (the settings that
// decided the outcome: software-device permission, the variant's version); a new fingerprint (a driver update, a
// new GPU), a change of conditions or `tsuku llm detect --refresh` tries it again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/reasons.h"

namespace tsuku::lifecycle {

struct FailureRecord {
    Backend backend = Backend::cpu;
    Reason reason = Reason::init_failed;
    std::string detail;       // the driver's / loader's own words
    std::string fingerprint;  // hardware fingerprint it failed on
    int64_t unix_time = 0;
    std::string conditions;  // failure_conditions() at the time
};

// The settings a start's outcome depends on besides the hardware, as one comparable string.
std::string failure_conditions(bool software_devices_allowed, const std::string& variant_version);

class FailureMemory {
public:
    explicit FailureMemory(std::filesystem::path file) : file_(std::move(file)) {}

    // The records of this fingerprint (others are stale: the hardware or drivers changed).
    std::vector<FailureRecord> for_fingerprint(const std::string& fingerprint) const;
    // The record that applies now: same backend, fingerprint and conditions.
    std::optional<FailureRecord> find(Backend backend, const std::string& fingerprint,
                                      const std::string& conditions) const;
    // Keeps one record per backend and fingerprint; drops records of other fingerprints.
    void record(const FailureRecord& r);
    void forget_all();

    const std::filesystem::path& file() const noexcept { return file_; }

private:
    std::vector<FailureRecord> load() const;
    void save(const std::vector<FailureRecord>& records) const;
    std::filesystem::path file_;
};

}  // namespace tsuku::lifecycle
