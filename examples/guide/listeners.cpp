// docs/listeners.md: reacting to transitions with lambdas, LogListener and
// a listener class of your own.

#include <fluxgate/fluxgate.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

// [start:listener-class]
// Counts transitions into each state, for a health endpoint or a test.
// Options stores listeners as std::function, which copies them, so the copies
// share one set of counters.
class TransitionCounter {
public:
    void operator()(const fg::Signal& signal) const {
        (*counts_)[static_cast<std::size_t>(signal.new_state)].fetch_add(1, std::memory_order_relaxed);
    }

    std::int64_t count(fg::State state) const {
        return (*counts_)[static_cast<std::size_t>(state)].load(std::memory_order_relaxed);
    }

private:
    using Counts = std::array<std::atomic<std::int64_t>, fg::kStateCount>;
    std::shared_ptr<Counts> counts_ = std::make_shared<Counts>();
};
// [end:listener-class]

int main() {
    std::vector<std::string> lines;
    std::vector<std::string> errors;

    // [start:log-listener]
    // One line per transition. Transitions to open and forced_open log at
    // warning, the others at info:
    // 2026-12-04 21:07:31.204 +0100 warning circuit breaker 'payments': closed -> open
    auto to_stderr = fg::listeners::LogListener("payments");

    // The same lines sent to your own logger, with HALF_OPEN demoted to debug.
    auto sink = [&](fg::listeners::LogLevel level, std::string_view line) {
        if (level >= fg::listeners::LogLevel::info) {
            lines.emplace_back(line);  // your logger here
        }
    };
    auto to_app_log = fg::listeners::LogListener("payments", sink)
                          .with_level(fg::State::half_open, fg::listeners::LogLevel::debug);
    // [end:log-listener]

    // [start:error-handler]
    // Exceptions thrown by listeners (and by retries and permits) never reach
    // the protected call. They go to the error handler, which by default writes
    // at most 10 lines per second to standard error.
    fg::set_error_handler([&](std::string_view message) { errors.emplace_back(message); });
    // [end:error-handler]

    auto clock = std::make_shared<fg::ManualClock>();
    TransitionCounter counter;

    // [start:lambda-listener]
    fg::CircuitBreaker breaker{{
        .tripper = fg::trippers::FailureStreak(3),
        .retry = fg::retries::Cooldown(10s),
        .permit = fg::permits::All(),
        .listeners = {
            to_app_log,
            counter,
            [](const fg::Signal& signal) {
                if (signal.new_state == fg::State::open) {
                    std::cout << "payments circuit opened\n";  // page someone, shed load, ...
                }
            },
            [](const fg::Signal&) { throw std::runtime_error("metrics backend down"); },
        },
        .clock = clock,
        .name = "payments",
    }};
    // [end:lambda-listener]

    auto fail = []() -> int { throw std::runtime_error("declined by gateway"); };
    for (int i = 0; i < 3; ++i) {
        try {
            breaker.call(fail);
        } catch (const std::runtime_error&) {
        }
    }
    clock->advance(10s);
    breaker.call([] { return 1; });

    check(counter.count(fg::State::open) == 1 && counter.count(fg::State::closed) == 1, "the counter counts each transition");
    check(lines.size() == 2, "the app log gets closed -> open and half_open -> closed, not the debug line");
    check(lines.front().find("warning circuit breaker 'payments': closed -> open") != std::string::npos,
          "LogListener formats level, name and states");
    check(errors.size() == 3, "the throwing listener reaches the error handler once per transition");
    check(to_stderr.level(fg::State::open) == fg::listeners::LogLevel::warning, "open logs at warning by default");
    fg::set_error_handler({});
}
