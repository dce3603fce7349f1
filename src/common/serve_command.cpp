#include "common/serve_command.h"

namespace tsuku {

std::vector<std::string> serve_arguments(const ServeCommand& c) {
    std::vector<std::string> args = {"serve",
                                     serve_option::kSocket,
                                     c.socket.string(),
                                     serve_option::kModel,
                                     c.model.string(),
                                     serve_option::kNotifyFd,
                                     std::to_string(c.notify_fd),
                                     serve_option::kIdleTimeout,
                                     std::to_string(c.idle_timeout.count()) + "ms"};
    if (c.threads > 0) args.insert(args.end(), {serve_option::kThreads, std::to_string(c.threads)});
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    return args;
}

}  // namespace tsuku
