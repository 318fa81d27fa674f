#include "upstream_process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace demo {

namespace {

std::string system_error_text(std::string_view what, int error) {
    return std::string(what) + ": " + std::strerror(error);
}

// Owns a file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&&) = delete;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    void reset() noexcept {
        if (fd_ >= 0) {
            close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

Pipe make_pipe() {
    std::array<int, 2> fds{};
    // Close-on-exec, so that a later upstream does not inherit this one's pipes.
    if (pipe2(fds.data(), O_CLOEXEC) != 0) {
        throw UpstreamError(system_error_text("cannot create a pipe for the upstream", errno));
    }
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Describes how a reaped child ended, for error messages.
std::string describe_exit(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
    }
    return "stopped";
}

// Reads the upstream's first output line, waiting at most `timeout`.
// Returns nothing if the pipe ended first.
std::optional<std::string> read_first_line(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            throw UpstreamError("the upstream did not report that it listens within " +
                                std::to_string(timeout.count()) + " ms");
        }
        pollfd entry{fd, POLLIN, 0};
        const int ready = poll(&entry, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            throw UpstreamError(system_error_text("cannot wait for the upstream", errno));
        }
        if (ready <= 0) {
            continue;
        }
        char c = '\0';
        const ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return std::nullopt;
        }
        if (c == '\n') {
            return line;
        }
        line.push_back(c);
    }
}

// Spawns `args` with `stdin_fd` and `stdout_fd` as its standard input and
// output, with default signal handling and no blocked signals. The child gets
// its own process group, so a Ctrl-C in the terminal reaches only the demo,
// which then stops the upstream itself.
pid_t spawn(const std::vector<std::string>& args, int stdin_fd, int stdout_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);

    sigset_t no_signals;
    sigset_t defaults;
    sigemptyset(&no_signals);
    sigemptyset(&defaults);
    for (int signal : {SIGINT, SIGTERM, SIGPIPE}) {
        sigaddset(&defaults, signal);
    }
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);

    pid_t pid = -1;
    const int error = posix_spawn(&pid, args[0].c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
        throw UpstreamError(system_error_text("cannot start the upstream " + args[0], error));
    }
    return pid;
}

}  // namespace

std::string current_executable() {
    std::array<char, 4096> path{};
    const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
    if (n <= 0) {
        throw UpstreamError(system_error_text("cannot read /proc/self/exe", errno));
    }
    return std::string(path.data(), static_cast<std::size_t>(n));
}

UpstreamProcess UpstreamProcess::start(const UpstreamLaunch& launch) {
    Pipe control = make_pipe();
    Pipe report = make_pipe();
    const std::vector<std::string> args = {launch.executable,
                                           "--upstream",
                                           "--port",
                                           std::to_string(launch.port),
                                           "--parent-pid",
                                           std::to_string(getpid()),
                                           "--threads",
                                           std::to_string(launch.threads),
                                           "--seed",
                                           std::to_string(launch.seed),
                                           "--phase",
                                           std::string(to_string(launch.phase))};
    const pid_t pid = spawn(args, control.read.get(), report.write.get());
    control.read.reset();
    report.write.reset();
    // From here on the object owns the child, so every error path below kills it.
    UpstreamProcess process(pid, control.write.release(), 0);

    const std::optional<std::string> line = read_first_line(report.read.get(), launch.start_timeout);
    if (!line) {
        int status = 0;
        waitpid(pid, &status, 0);
        process.pid_ = -1;
        throw UpstreamError("the upstream " + describe_exit(status) + " before it listened");
    }
    constexpr std::string_view listening = "listening ";
    constexpr std::string_view error = "error ";
    if (line->starts_with(error)) {
        throw UpstreamError(line->substr(error.size()));
    }
    if (!line->starts_with(listening)) {
        throw UpstreamError("unexpected first line from the upstream: " + *line);
    }
    try {
        process.port_ = std::stoi(line->substr(listening.size()));
    } catch (const std::logic_error&) {
        throw UpstreamError("unexpected first line from the upstream: " + *line);
    }
    return process;
}

UpstreamProcess::UpstreamProcess(UpstreamProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      control_fd_(std::exchange(other.control_fd_, -1)),
      port_(other.port_) {}

UpstreamProcess& UpstreamProcess::operator=(UpstreamProcess&& other) noexcept {
    if (this != &other) {
        kill();
        pid_ = std::exchange(other.pid_, -1);
        control_fd_ = std::exchange(other.control_fd_, -1);
        port_ = other.port_;
    }
    return *this;
}

bool UpstreamProcess::set_phase(PhaseKind phase) noexcept {
    if (control_fd_ < 0) {
        return false;
    }
    const std::string line = "phase " + std::string(to_string(phase)) + "\n";
    // SIGPIPE is ignored by the demo, so a dead upstream shows up as EPIPE here.
    return write(control_fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

void UpstreamProcess::kill() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }
    if (control_fd_ >= 0) {
        close(control_fd_);
        control_fd_ = -1;
    }
}

}  // namespace demo
