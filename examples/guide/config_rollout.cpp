// docs/configurations.md: putting a breaker in front of a live dependency
// without risk, and the switches for incidents.

#include <fluxgate/fluxgate.hpp>

#include <iostream>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

int main() {
    // [start:rollout]
    fg::CircuitBreaker search{{
        .window = fg::windows::TimeWindow(30s),
        .tripper = fg::trippers::MinRequests(50) & fg::trippers::FailureRate(0.3),
        .listeners = {fg::listeners::LogListener("search")},
        .name = "search",
    }};

    // Week 1: record and report, never reject. Compare info().metrics with
    // the rule before enforcing it.
    search.metrics_only();

    // Week 2, from an admin endpoint: enforce the rule.
    search.reset();

    // During an incident: shed all load from the search cluster, or take the
    // breaker out of the path. reset() returns to normal operation.
    search.force_open();
    search.disable();
    search.reset();
    // [end:rollout]

    check(search.state() == fg::State::closed, "the breaker ends CLOSED");
}
