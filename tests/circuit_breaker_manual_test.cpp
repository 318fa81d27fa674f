// The manual states of `CircuitBreaker` (METRICS_ONLY, DISABLED and
// FORCED_OPEN) and the manual controls, which transition from any state.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/state.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::enter_half_open;
using fluxgate_test::fail;
using fluxgate_test::Harness;
using fluxgate_test::IgnoredError;
using fluxgate_test::succeed;
using fluxgate_test::Transition;
using fluxgate_test::trip;

// The manual states.

TEST(MetricsOnlyState, RecordsEveryCallAndNeverTrips) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.metrics_only();
    harness.tripper.set(true);

    succeed(breaker);
    fail(breaker);
    fail(breaker);

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.state, State::metrics_only);
    EXPECT_EQ(info.metrics.total_count, 3);
    EXPECT_EQ(info.metrics.failure_count, 2);
    EXPECT_EQ(harness.log.size(), 1u);
}

TEST(MetricsOnlyState, UntrackedExceptionRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.metrics_only();

    EXPECT_THROW(breaker.call([] { throw IgnoredError("ignored"); }), IgnoredError);

    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_EQ(breaker.info().calls.ignored, 1);
}

TEST(DisabledState, RunsCallsAndRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.disable();
    harness.tripper.set(true);

    const int result = breaker.call([] { return 3; });
    fail(breaker);

    const fg::Info info = breaker.info();
    EXPECT_EQ(result, 3);
    EXPECT_EQ(info.state, State::disabled);
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.successful, 0);
    EXPECT_EQ(info.calls.failed, 0);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(ForcedOpenState, RejectsEveryCall) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.retry.set(true);
    breaker.force_open();
    harness.clock->advance(1h);
    bool ran = false;
    std::optional<State> rejected_by;

    try {
        breaker.call([&] { ran = true; });
    } catch (const fg::CallNotPermittedError& error) {
        rejected_by = error.state();
        EXPECT_STREQ(error.what(), "circuit breaker 'payments' is forced_open");
    }

    EXPECT_FALSE(ran);
    EXPECT_EQ(rejected_by, State::forced_open);
    EXPECT_FALSE(breaker.try_acquire().has_value());
    EXPECT_TRUE(harness.retry.questions().empty());
    EXPECT_EQ(breaker.state(), State::forced_open);
    EXPECT_EQ(breaker.info().calls.rejected, 2);
}

// Manual controls: each is a transition from any state, to the current one too.

namespace {

struct Control {
    const char* name;
    State target;
    void (fg::CircuitBreaker::*apply)() noexcept;
};

constexpr Control kControls[] = {
    {"reset", State::closed, &fg::CircuitBreaker::reset},
    {"metrics_only", State::metrics_only, &fg::CircuitBreaker::metrics_only},
    {"disable", State::disabled, &fg::CircuitBreaker::disable},
    {"force_open", State::forced_open, &fg::CircuitBreaker::force_open},
};

// Moves a new breaker to `state`, with one call in the window where the state records calls.
void drive_to(Harness& harness, fg::CircuitBreaker& breaker, State state) {
    switch (state) {
        case State::closed: break;
        case State::open: trip(harness, breaker); break;
        case State::half_open: enter_half_open(harness, breaker); break;
        case State::metrics_only: breaker.metrics_only(); break;
        case State::disabled: breaker.disable(); break;
        case State::forced_open: breaker.force_open(); break;
    }
    if (state == State::closed || state == State::half_open || state == State::metrics_only) {
        harness.tripper.set(state == State::half_open);  // keeps HALF_OPEN after a success
        succeed(breaker);
        harness.tripper.set(false);
        ASSERT_EQ(breaker.info().metrics.total_count, 1);
    }
    ASSERT_EQ(breaker.state(), state);
}

}  // namespace

TEST(ManualControls, TransitionFromEveryState) {
    for (State source : fg::kAllStates) {
        for (const Control& control : kControls) {
            SCOPED_TRACE(std::string(control.name) + " from " + std::string(fg::to_string(source)));
            Harness harness;
            fg::CircuitBreaker breaker{harness.options()};
            drive_to(harness, breaker, source);
            const std::size_t signals_before = harness.log.size();
            harness.clock->advance(90s);

            (breaker.*control.apply)();

            const fg::Info info = breaker.info();
            const auto signals = harness.log.signals();
            ASSERT_EQ(signals.size(), signals_before + 1);
            EXPECT_EQ(signals.back().old_state, source);
            EXPECT_EQ(signals.back().new_state, control.target);
            EXPECT_EQ(signals.back().timestamp, harness.clock->wall_now());
            EXPECT_EQ(info.state, control.target);
            EXPECT_EQ(breaker.state(), control.target);
            EXPECT_EQ(info.changed_at, harness.clock->wall_now());
            EXPECT_EQ(info.metrics.total_count, 0);
        }
    }
}

TEST(ManualControls, OutcomesAdmittedBeforeAreStale) {
    const State admitting[] = {State::closed, State::half_open, State::metrics_only};
    for (State source : admitting) {
        for (const Control& control : kControls) {
            SCOPED_TRACE(std::string(control.name) + " from " + std::string(fg::to_string(source)));
            Harness harness;
            fg::CircuitBreaker breaker{harness.options(2)};
            drive_to(harness, breaker, source);
            auto permission = breaker.try_acquire();
            ASSERT_TRUE(permission.has_value());
            (breaker.*control.apply)();
            harness.tripper.set(true);

            permission->failure();

            const fg::Info info = breaker.info();
            EXPECT_EQ(info.state, control.target);
            EXPECT_EQ(info.metrics.total_count, 0);
            EXPECT_EQ(info.calls.stale, 1);
        }
    }
}

TEST(ManualControls, ResetWhileClosedClearsWindow) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    succeed(breaker);
    fail(breaker);

    breaker.reset();

    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::closed}}));
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}

TEST(ManualControls, RepeatedControlEmitsEachTime) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    breaker.metrics_only();
    breaker.metrics_only();
    breaker.disable();
    breaker.disable();
    breaker.force_open();
    breaker.force_open();

    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::metrics_only},
                                                                  {State::metrics_only, State::metrics_only},
                                                                  {State::metrics_only, State::disabled},
                                                                  {State::disabled, State::disabled},
                                                                  {State::disabled, State::forced_open},
                                                                  {State::forced_open, State::forced_open}}));
}

TEST(ManualControls, ResetFromOpenStartsOver) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);

    breaker.reset();
    const int result = breaker.call([] { return 1; });

    EXPECT_EQ(result, 1);
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
}

TEST(BreakerInfo, StateAgreesWithInfo) {
    for (State state : fg::kAllStates) {
        SCOPED_TRACE(fg::to_string(state));
        Harness harness;
        fg::CircuitBreaker breaker{harness.options()};

        drive_to(harness, breaker, state);

        EXPECT_EQ(breaker.state(), state);
        EXPECT_EQ(breaker.info().state, state);
    }
}
