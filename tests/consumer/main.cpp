// A program that uses fluxgate the way an application would; it exits with
// a non-zero status if the breaker does not open after failures.

#include <fluxgate/fluxgate.hpp>

// The headers of the optional components that the installed package has,
// to prove that they are installed with their targets and compile.
#ifdef FLUXGATE_CONSUMER_HAS_ASIO
#include <fluxgate/asio.hpp>
#endif
#ifdef FLUXGATE_CONSUMER_HAS_PROMETHEUS
#include <fluxgate/prometheus.hpp>
#endif
#ifdef FLUXGATE_CONSUMER_HAS_SLACK
#include <fluxgate/slack.hpp>
#endif

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

int main() {
    using namespace std::chrono_literals;
    namespace fg = fluxgate;

    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .tripper = fg::trippers::FailureStreak(2),
        .retry = fg::retries::Cooldown(10s),
        .clock = clock,
        .name = "consumer",
    }};
    for (int i = 0; i < 2; ++i) {
        try {
            breaker.call([] { throw std::runtime_error("upstream failed"); });
        } catch (const std::runtime_error&) {
        }
    }
    if (breaker.state() != fg::State::open) {
        std::fprintf(stderr, "expected the breaker to be open, it is %s\n",
                     std::string(fg::to_string(breaker.state())).c_str());
        return 1;
    }
#ifdef FLUXGATE_CONSUMER_HAS_PROMETHEUS
    // The exporter links and renders a listener's series.
    fg::prometheus::Registry registry;
    const fg::listeners::PrometheusListener listener("consumer", registry);
    if (registry.render().find("circuit_breaker_state{") == std::string::npos) {
        std::fprintf(stderr, "expected the Prometheus registry to render the breaker families\n");
        return 1;
    }
#endif
    std::printf("fluxgate %s: breaker opened as expected\n", FLUXGATE_VERSION_STRING);
    return 0;
}
