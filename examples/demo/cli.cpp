#include "cli.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace demo {

namespace {

// Walks the arguments, accepting `--name value` and `--name=value`.
class Arguments {
public:
    Arguments(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

    [[nodiscard]] bool done() const noexcept { return index_ >= argc_; }

    // Returns the next option name, splitting off an attached `=value`.
    std::string_view next_name() {
        std::string_view arg = argv_[index_++];
        has_attached_ = false;
        if (const auto equals = arg.find('='); arg.starts_with("--") && equals != std::string_view::npos) {
            attached_ = arg.substr(equals + 1);
            has_attached_ = true;
            arg = arg.substr(0, equals);
        }
        return arg;
    }

    std::string_view value(std::string_view name) {
        if (has_attached_) {
            has_attached_ = false;
            return attached_;
        }
        if (index_ >= argc_) {
            throw UsageError(std::string(name) + " needs a value");
        }
        return argv_[index_++];
    }

    // Rejects `--flag=value` for an option that takes no value.
    void no_value(std::string_view name) const {
        if (has_attached_) {
            throw UsageError(std::string(name) + " takes no value");
        }
    }

private:
    int argc_;
    const char* const* argv_;
    int index_ = 0;
    // The value given as `--name=value`; a plain optional trips GCC 12's
    // -Wmaybe-uninitialized at -O3.
    std::string_view attached_;
    bool has_attached_ = false;
};

template <class T>
T parse_number(std::string_view name, std::string_view text, T min, T max, std::string_view unit = "") {
    T value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool parsed = error == std::errc() && end == text.data() + text.size();
    bool in_range = parsed && value >= min && value <= max;
    if constexpr (std::is_floating_point_v<T>) {
        in_range = in_range && std::isfinite(value);
    }
    if (!in_range) {
        auto show = [](T bound) {
            if constexpr (std::is_floating_point_v<T>) {
                return std::to_string(static_cast<long long>(bound));
            } else {
                return std::to_string(bound);
            }
        };
        throw UsageError(std::string(name) + " must be a number from " + show(min) + " to " + show(max) +
                         std::string(unit) + ", got '" + std::string(text) + "'");
    }
    return value;
}

CommandLine parse_upstream(Arguments& args) {
    CommandLine command;
    command.mode = CommandLine::Mode::upstream;
    while (!args.done()) {
        const std::string_view name = args.next_name();
        if (name == "--port") {
            command.upstream.port = parse_number(name, args.value(name), 0, 65535);
        } else if (name == "--parent-pid") {
            command.upstream.parent_pid = parse_number<pid_t>(name, args.value(name), 1, 1 << 30);
        } else if (name == "--threads") {
            command.upstream.threads = parse_number(name, args.value(name), 1, 1024);
        } else if (name == "--seed") {
            command.upstream.seed = parse_number<std::uint64_t>(name, args.value(name), 0, UINT64_MAX);
        } else if (name == "--phase") {
            const std::string_view text = args.value(name);
            const auto phase = parse_phase(text);
            if (!phase) {
                throw UsageError("--phase must be a phase name, got '" + std::string(text) + "'");
            }
            command.upstream.phase = *phase;
        } else {
            throw UsageError("unknown upstream option '" + std::string(name) + "'");
        }
    }
    if (command.upstream.parent_pid == 0) {
        throw UsageError("--upstream needs --parent-pid");
    }
    return command;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
    Arguments args(argc, argv);
    if (!args.done() && std::string_view(argv[0]) == "--upstream") {
        args.next_name();
        return parse_upstream(args);
    }

    CommandLine command;
    RunOptions& run = command.run;
    while (!args.done()) {
        const std::string_view name = args.next_name();
        if (name == "-h" || name == "--help") {
            command.mode = CommandLine::Mode::help;
            return command;
        }
        if (name == "--duration") {
            run.duration_s = parse_number(name, args.value(name), kMinDurationS, kMaxDurationS, " seconds");
        } else if (name == "--threads") {
            run.threads = parse_number(name, args.value(name), 1, 64);
        } else if (name == "--seed") {
            run.seed = parse_number<std::uint64_t>(name, args.value(name), 0, UINT64_MAX);
        } else if (name == "--port") {
            run.port = parse_number(name, args.value(name), 0, 65535);
        } else if (name == "--metrics-port") {
            run.metrics_port = parse_number(name, args.value(name), 0, 65535);
        } else if (name == "--timeline") {
            run.timeline_path = std::string(args.value(name));
        } else if (name == "--json") {
            args.no_value(name);
            run.json = true;
        } else {
            throw UsageError("unknown option '" + std::string(name) + "'");
        }
    }
    return command;
}

std::string usage() {
    return R"(usage: fluxgate-demo [--duration SECONDS] [--threads N] [--seed N] [--port PORT]
                     [--metrics-port PORT] [--timeline FILE.svg] [--json]

Starts an HTTP service on 127.0.0.1 as a child process, makes it fail on a
script (healthy, 60% of responses 503, slow responses, killed, restarted) and
sends requests to it from several threads through one fluxgate circuit
breaker. Prints every transition of the breaker as it happens, one line per
second, and a summary at the end. Ctrl-C stops the run early and still
prints the summary.

options:
  --duration SECONDS   length of the run, 20 to 600 seconds (default 50); the
                       phases and the breaker's timings scale with it
  --threads N          client threads, 1 to 64 (default 4); each sends about
                       10 requests per second
  --seed N             seed of the upstream's and the breaker's random draws
                       (default 1)
  --port PORT          port of the upstream on 127.0.0.1, 0 for any free port
                       (default 0)
  --metrics-port PORT  port on 127.0.0.1 where the breaker's Prometheus
                       metrics are served at /metrics, 0 for any free port
                       (default 0); only when fluxgate::prometheus was built
  --timeline FILE.svg  write a picture of the run to FILE.svg
  --json               print the summary as JSON on standard output; the
                       progress then goes to standard error
  -h, --help           print this help and exit
)";
}

}  // namespace demo
