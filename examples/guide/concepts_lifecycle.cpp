// docs/concepts.md: one trip through CLOSED, OPEN, HALF_OPEN and back,
// driven by a ManualClock so that every step is deterministic.

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
    // [start:lifecycle]
    auto clock = std::make_shared<fg::ManualClock>();
    std::vector<std::string> transitions;

    fg::CircuitBreaker breaker{{
        .window = fg::windows::CountWindow(10),
        .tripper = MinRequests(4) & FailureRate(0.5),
        .retry = fg::retries::Cooldown(30s),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .listeners = {[&](const fg::Signal& signal) {
            transitions.push_back(std::string(fg::to_string(signal.old_state)) + " -> " +
                                  std::string(fg::to_string(signal.new_state)));
        }},
        .clock = clock,
        .name = "orders",
    }};

    auto succeed = [] { return 200; };
    auto fail = []() -> int { throw std::runtime_error("upstream returned 503"); };
    auto attempt = [&](auto request) -> std::string {
        try {
            breaker.call(request);
            return "ok";
        } catch (const fg::CallNotPermittedError& rejected) {
            return std::string("rejected: ") + rejected.what();
        } catch (const std::runtime_error& error) {
            return std::string("failed: ") + error.what();
        }
    };

    std::cout << attempt(succeed) << '\n';  // ok         CLOSED, window: 1 call
    std::cout << attempt(succeed) << '\n';  // ok         2 calls
    std::cout << attempt(fail) << '\n';     // failed     3 calls, MinRequests(4) is still false
    std::cout << attempt(fail) << '\n';     // failed     4 calls, 2 failed: the rate 0.5 opens the circuit
    std::cout << attempt(succeed) << '\n';  // rejected: circuit breaker 'orders' is open

    clock->advance(30s);                    // Cooldown(30s) has passed
    std::cout << attempt(succeed) << '\n';  // ok         OPEN -> HALF_OPEN, the call is the probe, it
                                            //            succeeds, the tripper is false: -> CLOSED
    for (const std::string& transition : transitions) {
        std::cout << transition << '\n';    // closed -> open, open -> half_open, half_open -> closed
    }
    // [end:lifecycle]

    check(transitions == std::vector<std::string>{"closed -> open", "open -> half_open", "half_open -> closed"},
          "the breaker goes closed -> open -> half_open -> closed");
    const fg::Info info = breaker.info();
    check(info.state == fg::State::closed, "the breaker ends CLOSED");
    check(info.calls.successful == 3 && info.calls.failed == 2 && info.calls.rejected == 1,
          "3 successes, 2 failures and 1 rejection are counted");
    check(info.metrics.total_count == 0, "closing the circuit resets the window");
}
