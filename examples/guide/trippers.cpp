// docs/trippers.md: composing the built-in trippers, and a tripper of your
// own that makes HALF_OPEN wait for several good probes.

#include <fluxgate/fluxgate.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

// [start:probation]
// Closes a HALF_OPEN circuit only after `probes` probes in a row have
// succeeded, and reopens it on the first failed probe. It is false while
// CLOSED, so combine it with a rule for CLOSED.
class Probation final : public fg::trippers::Tripper {
public:
    explicit Probation(std::int64_t probes) : probes_(probes) {}

    bool operator()(const fg::trippers::CallContext& context) const override {
        if (context.state != fg::State::half_open) {
            return false;
        }
        // The window was reset when HALF_OPEN began, so it holds only probes.
        // True after a failure reopens; true after a success keeps HALF_OPEN.
        return context.consecutive_failures > 0 || context.metric.total_count < probes_;
    }

private:
    std::int64_t probes_;
};
// [end:probation]

namespace {

fg::trippers::CallContext make_context(std::int64_t calls, std::int64_t failures, fg::State state = fg::State::closed,
                                  std::int64_t streak = 0) {
    fg::Metric metric;
    metric.total_count = calls;
    metric.failure_count = failures;
    return {metric, state, streak};
}

}  // namespace

int main() {
    // [start:compose]
    // A 50% failure rate, judged once the window contains at least 20 calls.
    auto by_rate = MinRequests(20) & FailureRate(0.5);
    // The same, or 5 failures in a row, which also trips before 20 calls.
    auto streak_or_rate = FailureStreak(5) | (MinRequests(20) & FailureRate(0.5));
    // Too slow: 30% of calls took 2 s or more, or the average is 1 s or more.
    auto too_slow = MinRequests(20) & (SlowRate(0.3, 2s) | AvgLatency(1s));
    // Several SlowRate thresholds in one tree each get their own count.
    auto brownout = MinRequests(50) & (SlowRate(0.5, 500ms) | SlowRate(0.1, 5s));
    // A rule per state: in HALF_OPEN, two failed probes in a row reopen.
    auto per_state = (Closed() & MinRequests(20) & FailureRate(0.5)) | (HalfOpened() & FailureStreak(2));
    // [end:compose]

    check(!by_rate(make_context(19, 19)) && by_rate(make_context(20, 10)), "MinRequests gates FailureRate");
    check(streak_or_rate(make_context(3, 3, fg::State::closed, 5)), "five failures in a row trip before 20 calls");
    check(!too_slow(make_context(20, 0)), "calls with no slow count and no duration are not slow");
    check(slow_thresholds(brownout).size() == 2, "the breaker tracks both SlowRate thresholds");
    check(!per_state(make_context(1, 1, fg::State::half_open, 1)) && per_state(make_context(2, 2, fg::State::half_open, 2)),
          "in HALF_OPEN the second failure in a row reopens");

    // [start:probation-use]
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .tripper = (Closed() & MinRequests(20) & FailureRate(0.5)) | Probation(5),
        .retry = fg::retries::Cooldown(30s),
        .permit = fg::permits::All(),
        .clock = clock,
    }};
    // [end:probation-use]

    auto fail = []() -> int { throw std::runtime_error("503"); };
    auto succeed = [] { return 200; };
    for (int i = 0; i < 20; ++i) {
        try {
            breaker.call(fail);
        } catch (const std::runtime_error&) {
        }
    }
    check(breaker.state() == fg::State::open, "20 failures open the circuit");
    clock->advance(30s);
    for (int i = 0; i < 4; ++i) {
        breaker.call(succeed);
        check(breaker.state() == fg::State::half_open, "fewer than 5 good probes keep HALF_OPEN");
    }
    breaker.call(succeed);
    check(breaker.state() == fg::State::closed, "the fifth good probe closes the circuit");
}
