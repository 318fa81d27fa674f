// docs/permits.md: which calls a HALF_OPEN circuit admits as probes, and a
// permit of your own.

#include <fluxgate/fluxgate.hpp>

#include <cmath>
#include <iostream>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

// [start:custom-permit]
// Admits probes in steps instead of a smooth ramp: 5% of calls for the first
// 20 s of HALF_OPEN, then 25%, then 50%, and every call from 60 s on.
class Steps final : public fg::permits::Permit {
public:
    bool operator()(fg::TimePoint changed_at, fg::TimePoint now) const override {
        const fg::Duration elapsed = now - changed_at;
        if (elapsed < 20s) {
            return first_(changed_at, now);
        }
        if (elapsed < 40s) {
            return second_(changed_at, now);
        }
        if (elapsed < 60s) {
            return third_(changed_at, now);
        }
        return true;
    }

private:
    // Random is safe to call from many threads at once, so Steps is too.
    fg::permits::Random first_{0.05};
    fg::permits::Random second_{0.25};
    fg::permits::Random third_{0.5};
};
// [end:custom-permit]

int main() {
    using namespace fg::permits;

    // [start:builtin-permits]
    auto every_call = All();                  // every call, up to max_half_open_calls at once
    auto one_in_ten = Random(0.1);            // each call with probability 0.1
    auto ramp = RampUp(0.1, 1.0, 60s);        // 10% at first, growing linearly to 100% over 60 s
    auto seeded = RampUp(0.1, 1.0, 60s, 7);   // the same, with repeatable draws for tests

    const fg::TimePoint half_open_since{};
    std::cout << ramp.probability(half_open_since, half_open_since + 30s) << '\n';  // 0.55
    // [end:builtin-permits]

    check(every_call(half_open_since, half_open_since), "All admits every call");
    check(ramp.probability(half_open_since, half_open_since) == 0.1, "RampUp starts at initial");
    check(std::abs(ramp.probability(half_open_since, half_open_since + 30s) - 0.55) < 1e-12, "RampUp is linear");
    check(ramp.probability(half_open_since, half_open_since + 10min) == 1.0, "RampUp stays at final");
    int admitted = 0;
    for (int i = 0; i < 10'000; ++i) {
        admitted += one_in_ten(half_open_since, half_open_since) ? 1 : 0;
    }
    check(admitted > 800 && admitted < 1200, "Random(0.1) admits about one call in ten");
    check(seeded(half_open_since, half_open_since + 30s) == RampUp(0.1, 1.0, 60s, 7)(half_open_since, half_open_since + 30s),
          "a seed makes the draws repeatable");

    // [start:custom-permit-use]
    fg::CircuitBreaker breaker{{
        .permit = Steps(),
        .max_half_open_calls = 20,
    }};
    // [end:custom-permit-use]
    check(breaker.state() == fg::State::closed, "the breaker starts CLOSED");

    const Steps steps{};
    check(steps(half_open_since, half_open_since + 60s), "Steps admits every call from 60 s on");
}
