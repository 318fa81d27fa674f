#pragma once

// Helpers for the endpoint tests: temporary directories, child processes
// (promtool, a Prometheus server) and raw HTTP exchanges on 127.0.0.1.
// Every wait is bounded, and every child is killed when its owner goes.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace fluxgate::test {

/// A directory under the system's temporary directory, removed with its contents on destruction.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "fluxgate-prometheus-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp failed");
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) {
        throw std::runtime_error("writing " + path.string() + " failed");
    }
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Returns true if `path` names an executable file.
inline bool is_executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

/// A child process started with fork and exec, with standard input from
/// `input_path` and standard output and error appended to `output_path`.
///
/// The destructor sends SIGTERM, waits up to 10 s, then sends SIGKILL and
/// reaps the child. The child also receives SIGKILL if the thread that
/// started it dies, so a crashed test leaves no server behind.
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_path,
                 const std::filesystem::path& input_path = "/dev/null") {
        // Everything the child needs is prepared before fork: after it, only
        // async-signal-safe calls are allowed, because the parent has threads.
        std::vector<char*> args;
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        const std::string output = output_path.string();
        const std::string input = input_path.string();

        pid_ = ::fork();
        if (pid_ < 0) {
            throw std::system_error(errno, std::generic_category(), "fork failed");
        }
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
            const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (in < 0 || out < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
                ::dup2(out, STDERR_FILENO) < 0) {
                ::_exit(126);
            }
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }

    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    ~ChildProcess() { terminate(); }

    /// Returns the exit code once the child has exited, or nothing while it runs.
    /// A child killed by a signal reports 128 plus the signal number.
    std::optional<int> poll() {
        if (status_) {
            return status_;
        }
        int status = 0;
        const pid_t result = ::waitpid(pid_, &status, WNOHANG);
        if (result == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return status_;
    }

    /// Waits up to `timeout` for the child to exit and returns its exit code,
    /// or nothing if it is still running.
    std::optional<int> wait_for(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!poll() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return poll();
    }

    /// Stops the child: SIGTERM, then SIGKILL after 10 s. Safe to call twice.
    void terminate() {
        if (poll()) {
            return;
        }
        ::kill(pid_, SIGTERM);
        if (!wait_for(std::chrono::seconds(10))) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            status_ = 128 + SIGKILL;
        }
    }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

struct ProcessResult {
    int exit_code = -1;
    std::string output;  ///< Standard output and error, interleaved.
};

/// Runs `argv` to completion, at most 60 s, with standard input from `input_path`.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::filesystem::path& input_path = "/dev/null") {
    const TempDir dir;
    const auto output_path = dir.path() / "output";
    ChildProcess child(argv, output_path, input_path);
    const std::optional<int> code = child.wait_for(std::chrono::seconds(60));
    child.terminate();
    return {code.value_or(-1), read_file(output_path)};
}

/// How `raw_exchange` ends its side of the connection.
enum class AfterSending : std::uint8_t {
    keep_open,       ///< Wait for the server to answer and close.
    close_sending,   ///< Half-close at once, as a client that gives up mid-request.
};

/// Sends `request` to 127.0.0.1:`port` on a new connection and returns
/// whatever the server sends until it closes the connection or 8 s pass.
/// Returns nothing if the connection is refused.
inline std::optional<std::string> raw_exchange(std::uint16_t port, std::string_view request,
                                               AfterSending after_sending = AfterSending::keep_open) {
    const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (socket < 0) {
        throw std::system_error(errno, std::generic_category(), "socket failed");
    }
    timeval timeout{};
    timeout.tv_sec = 8;
    ::setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(socket);
        return std::nullopt;
    }

    // The server may respond and close before reading everything, so a failed send is not an error.
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(socket, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
    if (after_sending == AfterSending::close_sending) {
        ::shutdown(socket, SHUT_WR);
    }

    std::string response;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::recv(socket, buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(socket);
    return response;
}

/// Returns a TCP port on 127.0.0.1 that was free a moment ago. Another
/// process may take it before the caller binds it, so callers retry.
inline std::uint16_t free_loopback_port() {
    const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (socket < 0 || ::bind(socket, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const int error = errno;
        if (socket >= 0) {
            ::close(socket);
        }
        throw std::system_error(error, std::generic_category(), "finding a free port failed");
    }
    ::close(socket);
    return ntohs(address.sin_port);
}

}  // namespace fluxgate::test
