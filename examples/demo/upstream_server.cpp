#include "upstream_server.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

namespace demo {

namespace {

// Phase and random draws shared by the server's handler threads.
class Behaviour {
public:
    Behaviour(const UpstreamBehaviour& settings, std::uint64_t seed, PhaseKind phase)
        : settings_(settings), phase_(phase), random_(seed) {}

    void set_phase(PhaseKind phase) noexcept { phase_.store(phase, std::memory_order_relaxed); }

    void handle(std::int64_t id, httplib::Response& response) {
        const PhaseKind phase = phase_.load(std::memory_order_relaxed);
        if (phase == PhaseKind::errors && draw_unit() < settings_.error_share) {
            response.status = 503;
            response.set_content(R"({"error":"service unavailable"})", "application/json");
            return;
        }
        if (phase == PhaseKind::slow) {
            std::this_thread::sleep_for(draw_delay());
        }
        if (id >= settings_.first_missing_id) {
            response.status = 404;
            response.set_content(R"({"error":"no such item"})", "application/json");
            return;
        }
        response.set_content(R"({"id":)" + std::to_string(id) + "}", "application/json");
    }

private:
    double draw_unit() {
        std::lock_guard lock(mutex_);
        return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    }

    std::chrono::milliseconds draw_delay() {
        std::lock_guard lock(mutex_);
        return std::chrono::milliseconds(std::uniform_int_distribution<std::chrono::milliseconds::rep>(
            settings_.slow_min.count(), settings_.slow_max.count())(random_));
    }

    UpstreamBehaviour settings_;
    std::atomic<PhaseKind> phase_;
    std::mutex mutex_;
    std::mt19937_64 random_;
};

// Reads `phase <name>` lines until standard input ends, then ends the process:
// the parent closed the pipe or died.
void follow_parent(Behaviour& behaviour) {
    std::string line;
    while (std::getline(std::cin, line)) {
        constexpr std::string_view prefix = "phase ";
        if (line.starts_with(prefix)) {
            if (auto phase = parse_phase(std::string_view(line).substr(prefix.size()))) {
                behaviour.set_phase(*phase);
            }
        }
    }
    std::_Exit(0);
}

}  // namespace

int run_upstream(const UpstreamSettings& settings, const UpstreamBehaviour& behaviour_settings) {
    // Die with the parent even if it is killed with SIGKILL, and catch the
    // case where it died before this line ran.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        std::printf("error prctl(PR_SET_PDEATHSIG) failed: %s\n", std::strerror(errno));
        return 1;
    }
    if (getppid() != settings.parent_pid) {
        return 1;  // the demo is gone, so nobody reads a message
    }
    // A client that timed out has closed its socket, so writing the late
    // response must fail with EPIPE instead of killing the server.
    std::signal(SIGPIPE, SIG_IGN);

    Behaviour behaviour(behaviour_settings, settings.seed, settings.phase);
    httplib::Server server;
    // Every client connection occupies a pool thread while it is kept alive,
    // and a slow response occupies one for up to a second, so leave room beyond the clients.
    const auto pool_size = static_cast<std::size_t>(2 * settings.threads + 4);
    server.new_task_queue = [pool_size] { return new httplib::ThreadPool(pool_size); };
    // cpp-httplib sets SO_REUSEPORT by default, which lets a second server
    // bind a port that is in use. SO_REUSEADDR alone still lets a restarted
    // server bind the port its killed predecessor left in TIME_WAIT.
    server.set_socket_options([](socket_t socket) {
        const int yes = 1;
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.Get(R"(/items/(\d{1,9}))", [&behaviour](const httplib::Request& request, httplib::Response& response) {
        behaviour.handle(std::stoll(request.matches[1].str()), response);
    });

    errno = 0;
    int port = settings.port;
    if (port == 0) {
        port = server.bind_to_any_port("127.0.0.1");
    } else if (!server.bind_to_port("127.0.0.1", port)) {
        port = -1;
    }
    if (port < 0) {
        const int error = errno;
        std::printf("error cannot listen on 127.0.0.1:%d: %s\n", settings.port,
                    error != 0 ? std::strerror(error) : "bind failed");
        std::fflush(stdout);
        return 2;
    }
    std::printf("listening %d\n", port);
    std::fflush(stdout);

    std::thread(follow_parent, std::ref(behaviour)).detach();
    server.listen_after_bind();
    return 0;
}

}  // namespace demo
