// Serves the metrics of one circuit breaker at http://127.0.0.1:<port>/metrics
// while a simulated dependency alternates between healthy and failing
// phases of 10 s, so a Prometheus server scraping it records the circuit
// opening, probing and closing again.
//
// Usage: prometheus_endpoint [port] [seconds]
//   port     TCP port on 127.0.0.1; 0 picks a free one (default 9464)
//   seconds  how long to run before exiting (default 120)

#include <fluxgate/fluxgate.hpp>
#include <fluxgate/prometheus.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

namespace {

struct DependencyDown : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class T>
bool parse_argument(std::string_view text, T& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 9464;
    int seconds = 120;
    if (argc > 3 || (argc > 1 && !parse_argument(argv[1], port)) || (argc > 2 && !parse_argument(argv[2], seconds))) {
        std::cerr << "usage: prometheus_endpoint [port] [seconds]\n";
        return 2;
    }

    // The listener keeps the state series; the registration adds the call
    // metrics, read from the breaker whenever Prometheus scrapes.
    fg::CircuitBreaker breaker{{
        .window = fg::windows::CountWindow(20),
        .tripper = FailureStreak(5) | (MinRequests(10) & FailureRate(0.5)),
        .retry = fg::retries::Cooldown(5s),
        .permit = fg::permits::All(),
        .listeners = {fg::listeners::PrometheusListener("payments"), fg::listeners::LogListener("payments")},
        .name = "payments",
    }};
    const fg::prometheus::BreakerRegistration registration = fg::prometheus::default_registry().add_breaker(breaker);
    fg::prometheus::MetricsServer server({.port = port});
    std::cout << "serving metrics at " << server.url() << " for " << seconds << " s" << std::endl;

    // One call every 100 ms: every call succeeds in healthy phases, 80 % of
    // calls fail in failing phases.
    std::mt19937 random(42);
    std::bernoulli_distribution fails_while_down(0.8);
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
        const bool down = (elapsed.count() / 10) % 2 == 1;
        breaker.call_with_fallback(
            [&] {
                if (down && fails_while_down(random)) {
                    throw DependencyDown("payments backend unavailable");
                }
            },
            [](const std::exception&) {});
        std::this_thread::sleep_for(100ms);
    }
    return 0;
}
