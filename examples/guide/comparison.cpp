// docs/comparison.md: the closest Fluxgate configurations to the defaults of
// gobreaker and Polly, so that their behaviour can be compared.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <stdexcept>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

namespace {

void fail_times(fg::CircuitBreaker& breaker, int count) {
    for (int i = 0; i < count; ++i) {
        try {
            breaker.call([]() -> int { throw std::runtime_error("down"); });
        } catch (const std::runtime_error&) {
        }
    }
}

}  // namespace

int main() {
    auto clock = std::make_shared<fg::ManualClock>();

    // [start:like-gobreaker]
    // gobreaker's defaults: open after more than 5 consecutive failures, stay
    // open 60 s, then let 1 request through. It closes the circuit if that
    // request succeeds and reopens it if the request fails.
    fg::CircuitBreaker like_gobreaker{{
        .tripper = FailureStreak(6) | (HalfOpened() & FailureStreak(1)),
        .retry = fg::retries::Cooldown(60s),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .clock = clock,
    }};
    // [end:like-gobreaker]

    // [start:like-polly]
    // Polly v8's defaults: open when at least 10% of at least 100 calls in a
    // 30 s sampling period failed, stay open 5 s, then let one probe decide.
    fg::CircuitBreaker like_polly{{
        .window = fg::windows::TimeWindow(30s),
        .tripper = (MinRequests(100) & FailureRate(0.1)) | (HalfOpened() & FailureStreak(1)),
        .retry = fg::retries::Cooldown(5s),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .clock = clock,
    }};
    // [end:like-polly]

    fail_times(like_gobreaker, 5);
    check(like_gobreaker.state() == fg::State::closed, "5 failures in a row keep the circuit CLOSED");
    fail_times(like_gobreaker, 1);
    check(like_gobreaker.state() == fg::State::open, "the sixth failure in a row opens it");
    clock->advance(60s);
    fail_times(like_gobreaker, 1);
    check(like_gobreaker.state() == fg::State::open, "a failed probe reopens it");
    check(like_gobreaker.info().reopens == 1, "the reopen is counted");
    clock->advance(60s);
    like_gobreaker.call([] { return 0; });
    check(like_gobreaker.state() == fg::State::closed, "a good probe closes it");

    for (int i = 0; i < 90; ++i) {
        like_polly.call([] { return 0; });
    }
    fail_times(like_polly, 9);
    check(like_polly.state() == fg::State::closed, "9 failures in 99 calls keep the circuit CLOSED");
    fail_times(like_polly, 1);
    check(like_polly.state() == fg::State::open, "10 failures in 100 calls open it");
    clock->advance(5s);
    like_polly.call([] { return 0; });
    check(like_polly.state() == fg::State::closed, "one good probe closes it");
}
