#pragma once

// Starts, steers and kills the upstream process from the demo's side.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <sys/types.h>

#include "scenario.hpp"

namespace demo {

/// The upstream could not be started. The message gives the reason.
class UpstreamError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// How to start the upstream.
struct UpstreamLaunch {
    std::string executable;  ///< This program; the upstream is its `--upstream` mode.
    int port = 0;            ///< 0 binds any free port.
    int threads = 4;
    std::uint64_t seed = 1;
    PhaseKind phase = PhaseKind::healthy;
    std::chrono::milliseconds start_timeout{5000};
};

/// One running upstream process. Killed and reaped when destroyed.
///
/// `PR_SET_PDEATHSIG` ties the child to the thread that started it, so start
/// upstreams only from a thread that lives as long as the process.
///
/// Thread safety: distinct objects, safe; shared object, unsafe.
class UpstreamProcess {
public:
    /// Starts the upstream and waits until it listens.
    /// Throws `UpstreamError` if it cannot be started, cannot bind its port or
    /// does not report within `launch.start_timeout`.
    static UpstreamProcess start(const UpstreamLaunch& launch);

    UpstreamProcess(UpstreamProcess&& other) noexcept;
    UpstreamProcess& operator=(UpstreamProcess&& other) noexcept;
    UpstreamProcess(const UpstreamProcess&) = delete;
    UpstreamProcess& operator=(const UpstreamProcess&) = delete;
    ~UpstreamProcess() { kill(); }

    /// Tells the upstream to behave as in `phase`. Returns false if it is gone.
    bool set_phase(PhaseKind phase) noexcept;

    /// Kills the upstream with SIGKILL and waits for it to exit. Does nothing
    /// if it is not running.
    void kill() noexcept;

    [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] int port() const noexcept { return port_; }

private:
    UpstreamProcess(pid_t pid, int control_fd, int port) noexcept : pid_(pid), control_fd_(control_fd), port_(port) {}

    pid_t pid_ = -1;
    int control_fd_ = -1;  ///< Write end of the upstream's standard input.
    int port_ = 0;
};

/// Returns the path of the running executable.
/// Throws `UpstreamError` if it cannot be read.
[[nodiscard]] std::string current_executable();

}  // namespace demo
