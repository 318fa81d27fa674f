// docs/configurations.md: the same configuration in unit tests, with a
// ManualClock and fixed seeds.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <stdexcept>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

int main() {
    // [start:testing]
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .window = fg::windows::TimeWindow(60s),
        .tripper = fg::trippers::FailureStreak(3),
        .retry = fg::retries::Cooldown(30s, 0.2, /*seed=*/1),
        .permit = fg::permits::RampUp(0.1, 1.0, 60s, /*seed=*/2),
        .clock = clock,
    }};

    auto fail = []() -> int { throw std::runtime_error("boom"); };
    for (int i = 0; i < 3; ++i) {
        try {
            breaker.call(fail);
        } catch (const std::runtime_error&) {
        }
    }
    // The circuit is OPEN now. Time moves only when the test moves it, and
    // the jitter and the permit's draws repeat on every run.
    clock->advance(36s);  // past the longest jittered wait, 30 s * 1.2
    // [end:testing]

    check(breaker.state() == fg::State::open, "three failures open the circuit");
    int attempts = 0;
    while (breaker.state() != fg::State::closed && attempts < 100) {
        ++attempts;
        try {
            breaker.call([] { return 0; });
        } catch (const fg::CallNotPermittedError&) {
        }
    }
    check(breaker.state() == fg::State::closed, "a probe is admitted and closes the circuit");
}
