#pragma once

// The demo's command line.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "scenario.hpp"
#include "upstream_server.hpp"

namespace demo {

/// Settings of a demo run.
struct RunOptions {
    double duration_s = kDefaultDurationS;
    int threads = 4;
    std::uint64_t seed = 1;
    int port = 0;          ///< Upstream port; 0 picks any free port.
    int metrics_port = 0;  ///< Port of the Prometheus endpoint; 0 picks any free port.
    bool json = false;
    std::optional<std::string> timeline_path;
};

/// The command line is invalid. The message names the argument and the reason.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CommandLine {
    enum class Mode : std::uint8_t { demo, upstream, help };

    Mode mode = Mode::demo;
    RunOptions run;
    UpstreamSettings upstream;  ///< Set in the hidden `--upstream` mode that the demo starts itself in.
};

/// Parses the arguments after the program name. Throws `UsageError`.
[[nodiscard]] CommandLine parse_command_line(int argc, const char* const* argv);

/// Returns the help text.
[[nodiscard]] std::string usage();

}  // namespace demo
