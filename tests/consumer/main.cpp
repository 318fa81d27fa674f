// A program that uses fluxgate the way an application would; it exits with
// a non-zero status if the breaker does not open after failures.

#include <fluxgate/fluxgate.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>

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
    std::printf("fluxgate %s: breaker opened as expected\n", FLUXGATE_VERSION_STRING);
    return 0;
}
