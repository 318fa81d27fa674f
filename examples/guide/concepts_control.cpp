// docs/concepts.md: manual control, snapshots and validation errors.

#include <fluxgate/fluxgate.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

int main() {
    auto clock = std::make_shared<fg::ManualClock>();
    std::vector<fg::Signal> signals;
    fg::CircuitBreaker breaker{{
        .listeners = {[&](const fg::Signal& signal) { signals.push_back(signal); }},
        .clock = clock,
        .name = "search",
    }};
    auto search = [] { return 42; };

    // [start:manual-control]
    breaker.force_open();    // FORCED_OPEN: every call is rejected until the next manual transition
    breaker.metrics_only();  // METRICS_ONLY: calls run and are recorded, the circuit never trips
    breaker.disable();       // DISABLED: calls run and nothing is recorded
    breaker.reset();         // CLOSED, with an empty window and no reopens
    breaker.reset();         // a transition too: listeners see closed -> closed, the window is cleared
    // [end:manual-control]

    check(signals.size() == 5, "every manual control notifies the listeners");
    check(signals.back().old_state == fg::State::closed && signals.back().new_state == fg::State::closed,
          "reset() while CLOSED emits closed -> closed");

    breaker.call(search);
    breaker.force_open();
    try {
        breaker.call(search);
    } catch (const fg::CallNotPermittedError& rejected) {
        check(rejected.state() == fg::State::forced_open, "FORCED_OPEN rejects the call");
        check(std::string(rejected.what()) == "circuit breaker 'search' is forced_open", "the message names the breaker");
    }
    breaker.metrics_only();
    breaker.call(search);

    // [start:info]
    fg::Info info = breaker.info();
    std::cout << "state: " << fg::to_string(info.state) << ", reopens: " << info.reopens << '\n';
    std::cout << "window: " << info.metrics.total_count << " calls, " << info.metrics.failure_count << " failed";
    if (std::optional<double> rate = info.metrics.failure_rate()) {
        std::cout << " (failure rate " << *rate << ")";  // empty when the window contains no call
    }
    std::cout << '\n';
    std::cout << "since construction: " << info.calls.successful << " succeeded, " << info.calls.failed
              << " failed, " << info.calls.rejected << " rejected, " << info.calls.ignored << " ignored, "
              << info.calls.stale << " stale\n";
    // [end:info]

    check(info.state == fg::State::metrics_only, "the snapshot shows METRICS_ONLY");
    check(info.metrics.total_count == 1, "the window holds the call made after metrics_only()");
    check(info.calls.successful == 2 && info.calls.rejected == 1, "two successes and one rejection are counted");

    // [start:validation]
    try {
        fg::CircuitBreaker misconfigured{{.tripper = MinRequests(20) & FailureRate(50)}};
    } catch (const std::invalid_argument& error) {
        std::cout << error.what() << '\n';  // FailureRate: ratio must be in (0, 1], got 50
    }
    // [end:validation]

    try {
        fg::CircuitBreaker misconfigured{{.tripper = MinRequests(20) & FailureRate(50)}};
        check(false, "FailureRate(50) is rejected");
    } catch (const std::invalid_argument& error) {
        check(std::string(error.what()) == "FailureRate: ratio must be in (0, 1], got 50", "the message names the value");
    }
}
