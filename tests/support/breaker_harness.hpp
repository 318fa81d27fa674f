#pragma once

// A breaker under test with a manual clock and scripted components, and the
// steps that tests use to drive it into a state.

#include <cstdint>
#include <memory>

#include <gtest/gtest.h>

#include <fluxgate/circuit_breaker.hpp>
#include <fluxgate/clock.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/windows.hpp>

#include "support/breaker_fakes.hpp"

namespace fluxgate_test {

/// The clock and the scripted components of one breaker under test. The
/// tripper returns false, the retry false and the permit true until a test
/// changes them.
struct Harness {
    std::shared_ptr<fluxgate::ManualClock> clock = std::make_shared<fluxgate::ManualClock>();
    ScriptedTripper tripper;
    ScriptedRetry retry;
    ScriptedPermit permit;
    SignalLog log;

    /// Returns options for a breaker named `payments` that counts only
    /// `ServiceError` as a failure and reports to `log`.
    [[nodiscard]] fluxgate::Options options(std::int64_t max_half_open_calls = 1) const {
        return fluxgate::Options{
            .window = fluxgate::windows::CountWindow(100),
            .tracker = fluxgate::trackers::TypeOf<ServiceError>(),
            .tripper = tripper,
            .retry = retry,
            .permit = permit,
            .max_half_open_calls = max_half_open_calls,
            .listeners = {log.listener()},
            .clock = clock,
            .name = "payments",
        };
    }
};

/// Runs a call that succeeds.
inline void succeed(fluxgate::CircuitBreaker& breaker) { breaker.call([] {}); }

/// Runs a call that fails with a tracked `ServiceError`, which the breaker rethrows.
inline void fail(fluxgate::CircuitBreaker& breaker) {
    EXPECT_THROW(breaker.call([] { throw ServiceError("service unavailable"); }), ServiceError);
}

/// Opens a CLOSED breaker with one failure for which the tripper returns true.
inline void trip(Harness& harness, fluxgate::CircuitBreaker& breaker) {
    harness.tripper.set(true);
    fail(breaker);
    harness.tripper.set(false);
    ASSERT_EQ(breaker.state(), fluxgate::State::open);
}

/// Moves a CLOSED breaker through OPEN to HALF_OPEN, leaving no probe in flight.
inline void enter_half_open(Harness& harness, fluxgate::CircuitBreaker& breaker) {
    trip(harness, breaker);
    harness.retry.set(true);
    auto permission = breaker.try_acquire();
    harness.retry.set(false);
    ASSERT_TRUE(permission.has_value());
    permission->release();
    ASSERT_EQ(breaker.state(), fluxgate::State::half_open);
}

}  // namespace fluxgate_test
