// Runs fluxgate-demo as a user would and checks what it reports and leaves
// behind. Every mode also checks that no upstream process is left behind.
//
// Usage: fluxgate-demo-check MODE DEMO [DEMO-ARGS...]
//   story          A full run with --json. The breaker opened during the
//                  faults, rejected calls, reopened, and ended closed. Built
//                  with the Prometheus exporter, the demo's /metrics endpoint
//                  is scraped during the run too.
//   interrupt      SIGINT during the run. The summary is printed and the
//                  exit status is 130.
//   parent-killed  SIGKILL of the demo. Its upstream process dies with it.
//   port-in-use    --port of a busy port. The error names the port and the
//                  exit status is 1.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;

// Counts failed checks and reports each one on standard error.
class Checks {
public:
    void expect(bool condition, std::string_view what) {
        ++total_;
        if (!condition) {
            ++failed_;
            std::fprintf(stderr, "FAILED: %.*s\n", static_cast<int>(what.size()), what.data());
        }
    }

    // Prints the closing line and returns the exit status.
    int finish(std::string_view mode) const {
        std::printf("%.*s: %d passed, %d failed\n", static_cast<int>(mode.size()), mode.data(), total_ - failed_,
                    failed_);
        return failed_ == 0 ? 0 : 1;
    }

private:
    int total_ = 0;
    int failed_ = 0;
};

struct Finished {
    int exit_status = -1;  ///< Exit status, or 128 + signal number if killed by a signal.
    std::string out;
    std::string err;
};

// One running demo with its standard output and error captured.
class Process {
public:
    explicit Process(const std::vector<std::string>& args) {
        int out[2];
        int err[2];
        if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
        std::vector<char*> argv;
        for (const std::string& arg : args) {
            argv.push_back(const_cast<char*>(arg.c_str()));
        }
        argv.push_back(nullptr);
        const int error = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        close(err[1]);
        out_fd_ = out[0];
        err_fd_ = err[0];
        if (error != 0) {
            throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(error));
        }
    }

    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    ~Process() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(out_fd_);
        close(err_fd_);
    }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// Returns the standard error read so far.
    [[nodiscard]] const std::string& error_so_far() const noexcept { return result_.err; }

    // Reads output until `until` or until both pipes end.
    void pump(Clock::time_point until) {
        while (Clock::now() < until && (out_fd_ >= 0 || err_fd_ >= 0)) {
            pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
            if (poll(fds, 2, static_cast<int>(std::max<long long>(left.count(), 1))) <= 0) {
                continue;
            }
            drain(fds[0], out_fd_, result_.out);
            drain(fds[1], err_fd_, result_.err);
        }
    }

    // Reads all output and waits for the exit, killing the demo after `timeout`.
    Finished wait(std::chrono::seconds timeout) {
        const Clock::time_point deadline = Clock::now() + timeout;
        pump(deadline);
        if (out_fd_ >= 0 || err_fd_ >= 0) {
            std::fprintf(stderr, "the demo did not finish within %lld s; killing it\n",
                         static_cast<long long>(timeout.count()));
            kill(pid_, SIGKILL);
        }
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        result_.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return result_;
    }

private:
    static void drain(const pollfd& entry, int& fd, std::string& into) {
        if (fd < 0 || (entry.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            return;
        }
        char buffer[4096];
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            close(fd);
            fd = -1;
        }
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    Finished result_;
};

std::vector<std::string> read_cmdline(const std::filesystem::path& proc_dir) {
    std::ifstream file(proc_dir / "cmdline", std::ios::binary);
    std::vector<std::string> args;
    std::string arg;
    while (std::getline(file, arg, '\0')) {
        args.push_back(arg);
    }
    return args;
}

bool is_upstream(const std::vector<std::string>& args) {
    return args.size() > 1 && args[1] == "--upstream";
}

// Returns the pids of running upstream processes started by `parent`.
std::vector<pid_t> upstreams_of(pid_t parent) {
    std::vector<pid_t> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const std::vector<std::string> args = read_cmdline(entry.path());
        const auto flag = std::find(args.begin(), args.end(), "--parent-pid");
        if (is_upstream(args) && flag != args.end() && flag + 1 != args.end() &&
            *(flag + 1) == std::to_string(parent)) {
            found.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return found;
}

// Returns true if `pid` is an upstream process that still runs.
bool upstream_alive(pid_t pid) {
    return is_upstream(read_cmdline("/proc/" + std::to_string(pid)));
}

// Waits up to `timeout` for the upstreams of `parent` to be gone.
bool upstreams_gone(pid_t parent, std::chrono::seconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (!upstreams_of(parent).empty()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

std::optional<json> parse_summary(Checks& checks, const Finished& finished) {
    try {
        return json::parse(finished.out);
    } catch (const json::exception& error) {
        checks.expect(false, std::string("the output is a JSON summary: ") + error.what());
        std::fprintf(stderr, "standard output:\n%s\nstandard error:\n%s\n", finished.out.c_str(),
                     finished.err.c_str());
        return std::nullopt;
    }
}

void expect_no_upstream_left(Checks& checks, const json& summary, pid_t demo) {
    const auto& pids = summary.at("upstream_pids");
    checks.expect(!pids.empty(), "the summary lists the upstream processes");
    for (const auto& pid : pids) {
        checks.expect(!upstream_alive(pid.get<pid_t>()), "upstream " + std::to_string(pid.get<pid_t>()) + " is gone");
    }
    checks.expect(upstreams_of(demo).empty(), "no upstream process of the demo runs");
}

// Returns the entry of the phase called `name`.
const json& phase_entry(const json& summary, std::string_view name) {
    for (const auto& phase : summary.at("phases")) {
        if (phase.at("name") == name) {
            return phase;
        }
    }
    throw std::runtime_error("no phase " + std::string(name) + " in the summary");
}

// Returns the start and end of the phase called `name`.
std::pair<double, double> phase_span(const json& summary, std::string_view name) {
    const json& phase = phase_entry(summary, name);
    return {phase.at("start_s").get<double>(), phase.at("end_s").get<double>()};
}

#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
// Waits for the line `metrics:  http://127.0.0.1:PORT/metrics` and scrapes
// that address once, as Prometheus would.
void check_metrics_endpoint(Checks& checks, Process& demo) {
    constexpr std::string_view kPrefix = "metrics:  http://127.0.0.1:";
    const Clock::time_point deadline = Clock::now() + 30s;
    std::size_t at = std::string::npos;
    while (Clock::now() < deadline && (at = demo.error_so_far().find(kPrefix)) == std::string::npos) {
        demo.pump(Clock::now() + 100ms);
    }
    checks.expect(at != std::string::npos, "the demo prints the address of its metrics endpoint");
    if (at == std::string::npos) {
        return;
    }
    const std::string& err = demo.error_so_far();
    const int port = std::atoi(err.c_str() + at + kPrefix.size());
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5, 0);
    const httplib::Result response = client.Get("/metrics");
    checks.expect(response && response->status == 200, "GET /metrics returns status 200");
    if (response) {
        checks.expect(response->body.find("circuit_breaker_state{circuit_name=\"upstream\",state=\"closed\"}") !=
                          std::string::npos,
                      "/metrics has the breaker's state series");
        checks.expect(response->body.find("circuit_breaker_calls_total{circuit_name=\"upstream\"") !=
                          std::string::npos,
                      "/metrics has the breaker's call counters");
    }
}
#endif

int check_story(const std::vector<std::string>& demo_args) {
    Checks checks;
    std::vector<std::string> args = demo_args;
    args.push_back("--json");
    Process demo(args);
    const pid_t pid = demo.pid();
#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
    check_metrics_endpoint(checks, demo);
#endif
    const Finished finished = demo.wait(240s);
    checks.expect(finished.exit_status == 0, "the demo exits with status 0, got " +
                                                 std::to_string(finished.exit_status));
    const auto summary = parse_summary(checks, finished);
    if (!summary) {
        return checks.finish("story");
    }

    const auto [faults_start, errors_end] = phase_span(*summary, "errors");
    const auto [down_start, faults_end] = phase_span(*summary, "down");
    const auto [recovered_start, recovered_end] = phase_span(*summary, "recovered");
    int opened_in_faults = 0;
    int reopens = 0;
    std::optional<double> last_reopen;
    std::optional<double> closed_after_reopen;
    for (const auto& transition : summary->at("transitions")) {
        const double at = transition.at("at_s");
        const std::string from = transition.at("from");
        const std::string to = transition.at("to");
        if (to == "open" && at >= faults_start && at < faults_end) {
            ++opened_in_faults;
        }
        if (from == "half_open" && to == "open") {
            ++reopens;
            last_reopen = at;
        }
        if (from == "half_open" && to == "closed" && last_reopen && at > *last_reopen) {
            closed_after_reopen = at;
        }
    }

    checks.expect(summary->at("interrupted") == false, "the run was not interrupted");
    const json& healthy = phase_entry(*summary, "healthy").at("calls");
    checks.expect(healthy.at("succeeded").get<int>() > 0 && healthy.at("failed").get<int>() == 0,
                  "every call succeeded while the upstream was healthy");
    checks.expect(healthy.at("client_errors_not_counted").get<int>() > 0, "requests for missing items got 4xx");
    checks.expect(phase_entry(*summary, "errors").at("calls").at("failed_5xx").get<int>() > 0,
                  "calls failed with 5xx in the errors phase");
    checks.expect(phase_entry(*summary, "down").at("calls").at("failed_connection").get<int>() > 0,
                  "probes failed to connect while the upstream was down");
    checks.expect(opened_in_faults >= 1, "the breaker opened during the faults");
    bool open_while_down = false;
    for (const auto& entry : summary->at("time_to_open")) {
        open_while_down = open_while_down || (entry.at("phase") == "down" && !entry.at("seconds").is_null());
    }
    checks.expect(open_while_down, "the breaker was open or opened while the upstream was down");
    checks.expect(summary->at("calls").at("rejected_open").get<int>() > 0, "calls were rejected while open");
    checks.expect(summary->at("rejected_while_unhealthy").get<int>() > 0,
                  "calls were rejected while the upstream was unhealthy");
    checks.expect(reopens >= 1, "the breaker reopened from half_open at least once");
    checks.expect(summary->at("reopens").get<int>() == reopens, "the summary counts every reopen");
    checks.expect(closed_after_reopen.has_value() && *closed_after_reopen >= recovered_start,
                  "half_open -> closed after the last reopen, once the upstream recovered");
    checks.expect(!summary->at("time_to_close_after_recovery_s").is_null(), "the breaker closed after recovery");
    checks.expect(summary->at("final_state") == "closed", "the breaker ends closed");
    checks.expect(summary->at("upstream_pids").size() == 2, "the upstream was started and restarted once");
    expect_no_upstream_left(checks, *summary, pid);
    if (checks.finish("story") != 0) {
        std::fprintf(stderr, "demo output:\n%s\n", finished.err.c_str());
        return 1;
    }
    return 0;
}

int check_interrupt(const std::string& demo_path) {
    Checks checks;
    Process demo({demo_path, "--duration", "30", "--json"});
    const pid_t pid = demo.pid();
    // Interrupt during the faults, while the upstream runs and calls are in flight.
    demo.pump(Clock::now() + 7s);
    kill(pid, SIGINT);
    const Finished finished = demo.wait(30s);
    checks.expect(finished.exit_status == 128 + SIGINT,
                  "the demo exits with status 130 after SIGINT, got " + std::to_string(finished.exit_status));
    checks.expect(finished.err.find("summary after") != std::string::npos, "the demo prints its summary");
    if (const auto summary = parse_summary(checks, finished)) {
        checks.expect(summary->at("interrupted") == true, "the summary marks the run as interrupted");
        checks.expect(summary->at("elapsed_s").get<double>() < 20, "the run stopped early");
        expect_no_upstream_left(checks, *summary, pid);
    }
    return checks.finish("interrupt");
}

int check_parent_killed(const std::string& demo_path) {
    Checks checks;
    Process demo({demo_path, "--duration", "30"});
    const pid_t pid = demo.pid();
    std::vector<pid_t> upstreams;
    const Clock::time_point deadline = Clock::now() + 15s;
    while (upstreams.empty() && Clock::now() < deadline) {
        demo.pump(Clock::now() + 100ms);
        upstreams = upstreams_of(pid);
    }
    checks.expect(!upstreams.empty(), "the demo started an upstream process");
    // Let a few requests through, then kill the demo without a chance to clean up.
    demo.pump(Clock::now() + 2s);
    kill(pid, SIGKILL);
    const Finished finished = demo.wait(10s);
    checks.expect(finished.exit_status == 128 + SIGKILL, "the demo was killed");
    checks.expect(upstreams_gone(pid, 10s), "the upstream died with the demo");
    return checks.finish("parent-killed");
}

int check_port_in_use(const std::string& demo_path) {
    Checks checks;
    httplib::Server blocker;
    const int port = blocker.bind_to_any_port("127.0.0.1");
    checks.expect(port > 0, "a port on 127.0.0.1 could be taken");
    Process demo({demo_path, "--port", std::to_string(port)});
    const pid_t pid = demo.pid();
    const Finished finished = demo.wait(30s);
    checks.expect(finished.exit_status == 1, "the demo exits with status 1, got " +
                                                 std::to_string(finished.exit_status));
    const std::string expected = "cannot listen on 127.0.0.1:" + std::to_string(port);
    checks.expect(finished.err.find(expected) != std::string::npos,
                  "the error names the busy port; standard error was: " + finished.err);
    checks.expect(upstreams_of(pid).empty(), "no upstream process is left");
    return checks.finish("port-in-use");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: fluxgate-demo-check story|interrupt|parent-killed|port-in-use DEMO [ARGS...]\n");
        return 2;
    }
    const std::string_view mode = argv[1];
    const std::vector<std::string> demo_args(argv + 2, argv + argc);
    try {
        if (mode == "story") {
            return check_story(demo_args);
        }
        if (mode == "interrupt") {
            return check_interrupt(demo_args[0]);
        }
        if (mode == "parent-killed") {
            return check_parent_killed(demo_args[0]);
        }
        if (mode == "port-in-use") {
            return check_port_in_use(demo_args[0]);
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fluxgate-demo-check: %s\n", error.what());
        return 1;
    }
    std::fprintf(stderr, "fluxgate-demo-check: unknown mode '%s'\n", argv[1]);
    return 2;
}
