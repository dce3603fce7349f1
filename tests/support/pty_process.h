// A real program on a pseudo-terminal (forkpty from libutil), as a user at a terminal runs it: the test reads what it
// prints as it prints it, types into it (Ctrl-C included) and gets its exit status. And a program whose stdin is a
// pipe already holding data (what `producer | tsuku …` gives once the producer has written).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "support/run_command.h"

namespace tsuku::test {

class PtyProcess {
public:
    // `env` as run_command's. The terminal is 200 columns wide.
    PtyProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
    ~PtyProcess();  // kills the program if it still runs
    PtyProcess(const PtyProcess&) = delete;
    PtyProcess& operator=(const PtyProcess&) = delete;

    // Reads until `done(all output so far)` holds or the program's output ends; false in the second case or after
    // `limit` (a guard against a hang, not a timing assertion).
    bool read_until(const std::function<bool(const std::string&)>& done,
                    std::chrono::seconds limit = std::chrono::seconds(120));
    bool read_until_contains(std::string_view text) {
        return read_until([text](const std::string& s) { return s.find(text) != std::string::npos; });
    }
    void type(std::string_view keys);  // as typed: "\x03" is Ctrl-C, "\x04" Ctrl-D at the start of a line
    // Reads the rest and waits: the exit code (128 + signal when killed).
    int wait();
    const std::string& output() const { return output_; }
    size_t reads() const { return reads_; }  // read(2)s that returned data

private:
    bool read_some(int timeout_ms);
    pid_t pid_ = -1;
    int master_ = -1;
    std::string output_;
    size_t reads_ = 0;
    int exit_code_ = -1;
};

// Runs `argv` with stdin a pipe holding `stdin_data` (written, then closed, before the program starts; at most
// 64 KiB, what a pipe holds), stdout and stderr captured.
CommandResult run_with_piped_stdin(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                   const std::string& stdin_data);

}  // namespace tsuku::test
