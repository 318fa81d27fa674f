// docs/retries.md: how long an OPEN circuit waits before probing, and a
// retry of your own.

#include <fluxgate/fluxgate.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

// [start:custom-retry]
// Backs off like Backoff, but stops probing after `max_reopens` failed
// recoveries: the circuit then stays OPEN until an operator calls reset().
class GiveUpAfter final : public fg::retries::Retry {
public:
    GiveUpAfter(int max_reopens, fg::retries::Backoff backoff) : max_reopens_(max_reopens), backoff_(backoff) {}

    bool operator()(fg::TimePoint changed_at, int reopens, fg::TimePoint now) const override {
        return reopens < max_reopens_ && backoff_(changed_at, reopens, now);
    }

private:
    int max_reopens_;
    fg::retries::Backoff backoff_;
};
// [end:custom-retry]

int main() {
    using namespace fg::retries;

    // [start:builtin-retries]
    auto first_call = Always();                 // probe on the first call after opening
    auto manual_only = Never();                 // stay OPEN until reset() or another manual control
    auto fixed = Cooldown(30s);                 // probe once 30 s have passed
    auto spread = Cooldown(30s, 0.2);           // 24 to 36 s, drawn once per OPEN period
    auto growing = Backoff(5s, 2.0, 5min);      // 5 s, then twice as long after each reopen, at most 5 min
    auto growing_spread = Backoff(5s, 2.0, 5min, 0.1, /*seed=*/42);  // a fixed seed repeats the jitter

    for (int reopens = 0; reopens < 8; ++reopens) {
        std::cout << std::chrono::duration_cast<std::chrono::seconds>(growing.base_wait(reopens)).count() << "s ";
    }
    std::cout << '\n';  // 5s 10s 20s 40s 80s 160s 300s 300s
    // [end:builtin-retries]

    const fg::TimePoint opened{};
    check(first_call(opened, 0, opened) && !manual_only(opened, 0, opened + 24h), "Always and Never");
    check(!fixed(opened, 0, opened + 29s) && fixed(opened, 0, opened + 30s), "Cooldown waits 30 s");
    const fg::Duration jittered = spread.wait_for(opened, 0);
    check(jittered >= 24s && jittered <= 36s, "jitter stays within 20% of the wait");
    check(spread.wait_for(opened, 0) == jittered, "the jitter is the same for every call of one OPEN period");
    check(growing.base_wait(6) == 5min && growing.base_wait(1'000'000) == 5min, "Backoff is capped at max");
    check(growing_spread.wait_for(opened, 3) == Backoff(5s, 2.0, 5min, 0.1, 42).wait_for(opened, 3),
          "a seed makes the jitter repeatable");

    // [start:custom-retry-use]
    fg::CircuitBreaker breaker{{
        .tripper = FailureStreak(3),
        .retry = GiveUpAfter(5, fg::retries::Backoff(10s, 2.0, 10min)),
    }};
    // [end:custom-retry-use]

    const GiveUpAfter give_up(5, Backoff(10s));
    check(give_up(opened, 4, opened + 10min), "probes while fewer than 5 reopens");
    check(!give_up(opened, 5, opened + 24h), "gives up after 5 reopens");
    check(breaker.state() == fg::State::closed, "the breaker starts CLOSED");
}
