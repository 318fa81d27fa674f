#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/state.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"
#include "support/expect_throw.hpp"
#include "support/watchdog.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::enter_half_open;
using fluxgate_test::fail;
using fluxgate_test::Harness;
using fluxgate_test::IgnoredError;
using fluxgate_test::NonStandardError;
using fluxgate_test::ServiceError;
using fluxgate_test::succeed;
using fluxgate_test::Transition;
using fluxgate_test::trip;

namespace {

fg::TimePoint at(fg::Duration since_start) { return fg::TimePoint(since_start); }

}  // namespace

// CLOSED: run the call, record its outcome, then ask the tripper.

TEST(ClosedCircuit, RecordsSuccessAndReturnsResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    const int result = breaker.call([&] {
        harness.clock->advance(40ms);
        return 7;
    });

    const fg::Info info = breaker.info();
    EXPECT_EQ(result, 7);
    EXPECT_EQ(info.state, State::closed);
    EXPECT_EQ(info.metrics.total_count, 1);
    EXPECT_EQ(info.metrics.failure_count, 0);
    EXPECT_EQ(info.metrics.total_duration, 40ms);
    EXPECT_EQ(info.calls.successful, 1);
}

TEST(ClosedCircuit, TrackedExceptionIsFailureWithDuration) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    FLUXGATE_EXPECT_THROW_MESSAGE(breaker.call([&] {
        harness.clock->advance(2s);
        throw ServiceError("read timed out");
    }),
                                  ServiceError, "read timed out");

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 1);
    EXPECT_EQ(info.metrics.failure_count, 1);
    EXPECT_EQ(info.metrics.total_duration, 2s);
    EXPECT_EQ(info.calls.failed, 1);
}

TEST(ClosedCircuit, UntrackedExceptionRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    FLUXGATE_EXPECT_THROW_MESSAGE(breaker.call([]() -> int { throw IgnoredError("not found"); }), IgnoredError,
                                  "not found");

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.successful, 0);
    EXPECT_EQ(info.calls.failed, 0);
    EXPECT_EQ(info.calls.ignored, 1);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(ClosedCircuit, NonStandardExceptionRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    int code = 0;

    try {
        breaker.call([] { throw NonStandardError{42}; });
    } catch (const NonStandardError& error) {
        code = error.code;
    }

    const fg::Info info = breaker.info();
    EXPECT_EQ(code, 42);
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.ignored, 1);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(ClosedCircuit, AsksTripperAfterEveryRecord) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    succeed(breaker);
    fail(breaker);
    succeed(breaker);

    const auto contexts = harness.tripper.contexts();
    ASSERT_EQ(contexts.size(), 3u);
    for (std::size_t i = 0; i < contexts.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(contexts[i].state, State::closed);
        EXPECT_EQ(contexts[i].metric.total_count, static_cast<std::int64_t>(i + 1));
    }
    EXPECT_EQ(contexts[0].metric.failure_count, 0);
    EXPECT_EQ(contexts[1].metric.failure_count, 1);
    EXPECT_EQ(contexts[2].metric.failure_count, 1);
}

TEST(ClosedCircuit, TripperTrueAfterSuccessOpens) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.tripper.set(true);

    const int result = breaker.call([] { return 5; });

    EXPECT_EQ(result, 5);
    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::open}}));
}

TEST(ClosedCircuit, FailureRethrownAfterTransition) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.tripper.set(true);
    std::optional<std::size_t> signals_seen_by_caller;

    try {
        breaker.call([] { throw ServiceError("refused"); });
    } catch (const ServiceError&) {
        signals_seen_by_caller = harness.log.size();
    }

    ASSERT_TRUE(signals_seen_by_caller.has_value());
    EXPECT_EQ(*signals_seen_by_caller, 1u);
    EXPECT_EQ(breaker.state(), State::open);
}

TEST(ClosedCircuit, TripperEvaluatedOncePerRecordedCall) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const auto is_error_status = [](int status) { return status >= 500; };

    for (int i = 0; i < 5; ++i) {
        succeed(breaker);
    }
    for (int i = 0; i < 3; ++i) {
        fail(breaker);
    }
    EXPECT_THROW(breaker.call([] { throw IgnoredError("ignored"); }), IgnoredError);
    EXPECT_THROW(breaker.call([] { throw NonStandardError{}; }), NonStandardError);
    EXPECT_EQ(breaker.call_classified([] { return 503; }, is_error_status), 503);
    EXPECT_EQ(breaker.call_classified([] { return 200; }, is_error_status), 200);
    breaker.try_acquire()->success();
    breaker.try_acquire()->failure(1s);
    breaker.try_acquire()->release();

    EXPECT_EQ(harness.tripper.evaluations(), 5 + 3 + 2 + 2);
    EXPECT_EQ(breaker.info().metrics.total_count, 5 + 3 + 2 + 2);
}

// OPEN: ask the retry; false rejects, true moves to HALF_OPEN and handles
// the same call as a probe.

TEST(OpenCircuit, RejectsWhileRetryRefuses) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    bool ran = false;

    FLUXGATE_EXPECT_THROW_MESSAGE(breaker.call([&] { ran = true; }), fg::CallNotPermittedError,
                                  "circuit breaker 'payments' is open");

    EXPECT_FALSE(ran);
    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(OpenCircuit, RejectionCarriesOpenState) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    std::optional<State> rejected_by;

    try {
        succeed(breaker);
    } catch (const fg::CallNotPermittedError& error) {
        rejected_by = error.state();
    }

    EXPECT_EQ(rejected_by, State::open);
}

TEST(OpenCircuit, AsksRetryWithOpeningTimeAndReopens) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.clock->advance(5s);
    trip(harness, breaker);
    harness.clock->advance(3s);

    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);

    const auto questions = harness.retry.questions();
    ASSERT_EQ(questions.size(), 1u);
    EXPECT_EQ(questions[0].changed_at, at(5s));
    EXPECT_EQ(questions[0].reopens, 0);
    EXPECT_EQ(questions[0].now, at(8s));
}

TEST(OpenCircuit, RetryTrueRunsSameCallAsProbe) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.clock->advance(10s);
    harness.retry.set(true);

    const int result = breaker.call([] { return 9; });

    EXPECT_EQ(result, 9);
    EXPECT_EQ(harness.permit.questions().size(), 1u);
    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::open},
                                                                  {State::open, State::half_open},
                                                                  {State::half_open, State::closed}}));
}

TEST(OpenCircuit, FailedProbeOnSameCallReopens) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);

    fail(breaker);

    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(breaker.info().reopens, 1);
    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::open},
                                                                  {State::open, State::half_open},
                                                                  {State::half_open, State::open}}));
}

TEST(OpenCircuit, PermitDenialOnSameCallNamesHalfOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.permit.set(false);

    FLUXGATE_EXPECT_THROW_MESSAGE(succeed(breaker), fg::CallNotPermittedError,
                                  "circuit breaker 'payments' is half_open");

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(harness.log.size(), 2u);
}

// HALF_OPEN: ask the permit, cap the probes in flight, then decide between
// CLOSED and OPEN.

TEST(HalfOpenCircuit, AsksPermitWithHalfOpenTime) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.clock->advance(30s);
    harness.retry.set(true);

    harness.clock->advance(1s);
    succeed(breaker);

    const auto questions = harness.permit.questions();
    ASSERT_EQ(questions.size(), 1u);
    EXPECT_EQ(questions[0].changed_at, at(31s));
    EXPECT_EQ(questions[0].now, at(31s));
}

TEST(HalfOpenCircuit, PermitDenialRejects) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.permit.set(false);
    bool ran = false;

    FLUXGATE_EXPECT_THROW_MESSAGE(breaker.call([&] { ran = true; }), fg::CallNotPermittedError,
                                  "circuit breaker 'payments' is half_open");

    EXPECT_FALSE(ran);
    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(HalfOpenCircuit, RejectsBeyondMaxHalfOpenCalls) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options(2)};
    enter_half_open(harness, breaker);

    auto first = breaker.try_acquire();
    auto second = breaker.try_acquire();
    auto third = breaker.try_acquire();

    EXPECT_TRUE(first.has_value());
    EXPECT_TRUE(second.has_value());
    EXPECT_FALSE(third.has_value());
    FLUXGATE_EXPECT_THROW_MESSAGE(succeed(breaker), fg::CallNotPermittedError,
                                  "circuit breaker 'payments' is half_open");
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(HalfOpenCircuit, SuccessWithTripperFalseCloses) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    succeed(breaker);

    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(harness.log.transitions().back(), (Transition{State::half_open, State::closed}));
}

TEST(HalfOpenCircuit, SuccessWithTripperTrueStaysAndFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.tripper.set(true);

    succeed(breaker);

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(HalfOpenCircuit, FailureWithTripperTrueReopens) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.tripper.set(true);

    fail(breaker);

    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(breaker.info().reopens, 1);
    EXPECT_EQ(harness.log.transitions().back(), (Transition{State::half_open, State::open}));
}

TEST(HalfOpenCircuit, FailureWithTripperFalseStaysAndFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    fail(breaker);

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(HalfOpenCircuit, TripperSeesHalfOpenStateAndFreshWindow) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    succeed(breaker);
    enter_half_open(harness, breaker);

    succeed(breaker);

    const auto contexts = harness.tripper.contexts();
    ASSERT_FALSE(contexts.empty());
    EXPECT_EQ(contexts.back().state, State::half_open);
    EXPECT_EQ(contexts.back().metric.total_count, 1);
}

TEST(HalfOpenCircuit, UntrackedExceptionFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    EXPECT_THROW(breaker.call([] { throw IgnoredError("bad request"); }), IgnoredError);

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(HalfOpenCircuit, NonStandardExceptionFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    EXPECT_THROW(breaker.call([] { throw NonStandardError{}; }), NonStandardError);

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(HalfOpenCircuit, ThrowingTrackerFreesSlot) {
    Harness harness;
    auto broken = std::make_shared<std::atomic<bool>>(false);
    fg::Options options = harness.options();
    options.tracker = fg::trackers::Custom([broken](const std::exception& error) {
        if (broken->load()) {
            throw IgnoredError("tracker broke");
        }
        return dynamic_cast<const ServiceError*>(&error) != nullptr;
    });
    fg::CircuitBreaker breaker{std::move(options)};
    enter_half_open(harness, breaker);
    broken->store(true);

    FLUXGATE_EXPECT_THROW_MESSAGE(breaker.call([] { throw ServiceError("down"); }), IgnoredError, "tracker broke");

    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(HalfOpenCircuit, ResultFailureReopensAndReturnsResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.tripper.set(true);

    const int status = breaker.call_classified([] { return 503; }, [](int code) { return code >= 500; });

    EXPECT_EQ(status, 503);
    EXPECT_EQ(breaker.state(), State::open);
}

// Counters that the transitions maintain.

TEST(Reopens, CountEachReopenFromHalfOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);

    fail(breaker);
    fail(breaker);

    const auto questions = harness.retry.questions();
    ASSERT_EQ(questions.size(), 2u);
    EXPECT_EQ(questions[0].reopens, 0);
    EXPECT_EQ(questions[1].reopens, 1);
    EXPECT_EQ(breaker.info().reopens, 2);
}

TEST(Reopens, ClearedWhenProbeCloses) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);
    fail(breaker);
    harness.tripper.set(false);

    succeed(breaker);

    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().reopens, 0);
}

TEST(Reopens, ClearedByReset) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);
    fail(breaker);

    breaker.reset();

    EXPECT_EQ(breaker.info().reopens, 0);
}

TEST(Reopens, KeptByOtherManualControls) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);
    fail(breaker);
    harness.tripper.set(false);
    harness.retry.set(false);
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);

    breaker.force_open();
    breaker.metrics_only();

    EXPECT_EQ(breaker.info().reopens, 1);
}

TEST(Reopens, ForcingOpenFromHalfOpenIsNoReopen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    breaker.force_open();

    EXPECT_EQ(breaker.info().reopens, 0);
}

TEST(ConsecutiveFailures, FailureIncrementsAndSuccessResets) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    fail(breaker);
    fail(breaker);
    succeed(breaker);
    fail(breaker);

    const auto contexts = harness.tripper.contexts();
    ASSERT_EQ(contexts.size(), 4u);
    EXPECT_EQ(contexts[0].consecutive_failures, 1);
    EXPECT_EQ(contexts[1].consecutive_failures, 2);
    EXPECT_EQ(contexts[2].consecutive_failures, 0);
    EXPECT_EQ(contexts[3].consecutive_failures, 1);
}

TEST(ConsecutiveFailures, ResultFailuresCount) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const auto is_error_status = [](int status) { return status >= 500; };

    (void)breaker.call_classified([] { return 500; }, is_error_status);
    (void)breaker.call_classified([] { return 502; }, is_error_status);

    EXPECT_EQ(harness.tripper.contexts().back().consecutive_failures, 2);
}

TEST(ConsecutiveFailures, UnrecordedCallsLeaveCountAlone) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    fail(breaker);
    EXPECT_THROW(breaker.call([] { throw IgnoredError("ignored"); }), IgnoredError);
    breaker.try_acquire()->release();
    fail(breaker);

    EXPECT_EQ(harness.tripper.contexts().back().consecutive_failures, 2);
}

TEST(ConsecutiveFailures, ResetWhenEnteringHalfOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    fail(breaker);
    fail(breaker);
    trip(harness, breaker);
    harness.retry.set(true);

    fail(breaker);

    EXPECT_EQ(harness.tripper.contexts().back().state, State::half_open);
    EXPECT_EQ(harness.tripper.contexts().back().consecutive_failures, 1);
}

TEST(ConsecutiveFailures, ResetWhenEnteringClosed) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    fail(breaker);
    fail(breaker);

    breaker.reset();
    fail(breaker);

    EXPECT_EQ(harness.tripper.contexts().back().consecutive_failures, 1);
}

TEST(ConsecutiveFailures, MetricsOnlyFailuresClearedByReset) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.metrics_only();
    fail(breaker);
    fail(breaker);

    breaker.reset();
    fail(breaker);

    EXPECT_EQ(harness.tripper.contexts().back().consecutive_failures, 1);
}

// Every transition clears the window and stamps the time.

TEST(Transitions, ClearWindow) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    succeed(breaker);
    succeed(breaker);

    trip(harness, breaker);

    EXPECT_EQ(breaker.info().metrics, fg::Metric());
}

TEST(Transitions, StampMonotonicAndWallTimeSeparately) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.clock->advance(7s);
    const fg::WallTime wall = fg::WallTime(std::chrono::seconds(1'800'000'000));
    harness.clock->set_wall(wall);

    trip(harness, breaker);
    harness.clock->advance(1s);
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);

    EXPECT_EQ(breaker.info().changed_at, wall);
    EXPECT_EQ(harness.log.signals().back().timestamp, wall);
    ASSERT_EQ(harness.retry.questions().size(), 1u);
    EXPECT_EQ(harness.retry.questions()[0].changed_at, at(7s));
}

// Stale outcomes: a call admitted before a transition never lands in the window after it.

TEST(StaleOutcomes, DiscardedAfterTransition) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();
    breaker.metrics_only();

    permission->failure();

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.failed, 1);
    EXPECT_EQ(info.calls.stale, 1);
}

TEST(StaleOutcomes, DiscardedAfterRoundTripToSameState) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();
    trip(harness, breaker);
    harness.retry.set(true);
    succeed(breaker);
    ASSERT_EQ(breaker.state(), State::closed);
    const std::int64_t evaluations = harness.tripper.evaluations();
    harness.tripper.set(true);

    permission->failure();

    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_EQ(breaker.info().calls.stale, 1);
    EXPECT_EQ(harness.tripper.evaluations(), evaluations);
}

TEST(StaleOutcomes, DiscardedWhenCallResetsBreaker) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.tripper.set(true);

    EXPECT_THROW(breaker.call([&] {
        breaker.reset();
        throw ServiceError("down");
    }),
                 ServiceError);

    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_EQ(breaker.info().calls.stale, 1);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(StaleOutcomes, ProbeFromEarlierHalfOpenPeriodIsDiscarded) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    auto old_probe = breaker.try_acquire();
    ASSERT_TRUE(old_probe.has_value());
    breaker.reset();
    enter_half_open(harness, breaker);
    auto new_probe = breaker.try_acquire();
    ASSERT_TRUE(new_probe.has_value());

    old_probe->success();

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().calls.stale, 1);
    EXPECT_FALSE(breaker.try_acquire().has_value());
}

TEST(StaleOutcomes, ReleasedProbeFromEarlierPeriodKeepsNewSlotTaken) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    auto old_probe = breaker.try_acquire();
    breaker.reset();
    enter_half_open(harness, breaker);
    auto new_probe = breaker.try_acquire();
    ASSERT_TRUE(new_probe.has_value());

    old_probe->release();

    EXPECT_FALSE(breaker.try_acquire().has_value());
}

// Failures of user components while recording go to the error handler.

namespace {

class ThrowingTripper final : public fg::trippers::Tripper {
public:
    [[nodiscard]] bool operator()(const fg::trippers::CallContext&) const override {
        throw std::runtime_error("tripper broke");
    }
};

class NonStandardThrowingTripper final : public fg::trippers::Tripper {
public:
    [[nodiscard]] bool operator()(const fg::trippers::CallContext&) const override { throw NonStandardError{}; }
};

}  // namespace

TEST(RecordingErrors, ThrowingTripperIsReported) {
    fluxgate_test::CapturedErrors errors;
    Harness harness;
    fg::Options options = harness.options();
    options.tripper = ThrowingTripper();
    fg::CircuitBreaker breaker{std::move(options)};

    const int result = breaker.call([] { return 4; });

    EXPECT_EQ(result, 4);
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
    EXPECT_EQ(errors.messages(), (std::vector<std::string>{
                                     "fluxgate: recording a call in circuit breaker 'payments' failed: tripper broke"}));
}

TEST(RecordingErrors, NonStandardExceptionIsReported) {
    fluxgate_test::CapturedErrors errors;
    Harness harness;
    fg::Options options = harness.options();
    options.tripper = NonStandardThrowingTripper();
    fg::CircuitBreaker breaker{std::move(options)};

    fail(breaker);

    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
    EXPECT_EQ(errors.messages(), (std::vector<std::string>{"fluxgate: recording a call in circuit breaker "
                                                           "'payments' failed with a non-standard exception"}));
}

TEST(RecordingErrors, ErrorHandlerMayReadBreaker) {
    fluxgate_test::Watchdog watchdog("an error handler that reads the breaker", 30s);
    Harness harness;
    fg::Options options = harness.options();
    options.tripper = ThrowingTripper();
    fg::CircuitBreaker breaker{std::move(options)};
    std::vector<std::int64_t> totals_seen;
    const fg::ErrorHandler previous = fg::set_error_handler(
        [&](std::string_view) { totals_seen.push_back(breaker.info().metrics.total_count); });

    succeed(breaker);
    fg::set_error_handler(previous);
    watchdog.disarm();

    EXPECT_EQ(totals_seen, (std::vector<std::int64_t>{1}));
}

// info() and the rejection error.

TEST(BreakerInfo, StartsClosedAndEmpty) {
    Harness harness;
    harness.clock->advance(12s);

    fg::CircuitBreaker breaker{harness.options()};

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.state, State::closed);
    EXPECT_EQ(info.changed_at, harness.clock->wall_now());
    EXPECT_EQ(info.reopens, 0);
    EXPECT_EQ(info.metrics, fg::Metric());
    EXPECT_EQ(info.calls.successful, 0);
    EXPECT_EQ(info.calls.failed, 0);
    EXPECT_EQ(info.calls.rejected, 0);
    EXPECT_EQ(info.calls.ignored, 0);
    EXPECT_EQ(info.calls.stale, 0);
}

TEST(BreakerInfo, CountsCallsByOutcome) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    succeed(breaker);
    succeed(breaker);
    fail(breaker);
    EXPECT_THROW(breaker.call([] { throw IgnoredError("ignored"); }), IgnoredError);
    EXPECT_THROW(breaker.call([] { throw NonStandardError{}; }), NonStandardError);
    auto stale = breaker.try_acquire();
    breaker.reset();
    stale->success();
    trip(harness, breaker);
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);
    EXPECT_FALSE(breaker.try_acquire().has_value());

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.calls.successful, 3);
    EXPECT_EQ(info.calls.failed, 2);
    EXPECT_EQ(info.calls.ignored, 2);
    EXPECT_EQ(info.calls.rejected, 2);
    EXPECT_EQ(info.calls.stale, 1);
}

TEST(BreakerInfo, AdmittedProbesAreNotRejections) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options(2)};
    enter_half_open(harness, breaker);
    harness.tripper.set(true);

    succeed(breaker);
    auto probe = breaker.try_acquire();
    ASSERT_TRUE(probe.has_value());
    probe->success();

    EXPECT_EQ(breaker.info().calls.rejected, 0);
    EXPECT_EQ(breaker.info().calls.successful, 2);
}

TEST(BreakerInfo, CountsEveryKindOfRejection) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    auto probe = breaker.try_acquire();
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);  // the one slot is taken
    harness.permit.set(false);
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);  // the permit rejects it
    harness.tripper.set(true);
    probe->failure();
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);  // open
    breaker.force_open();
    EXPECT_THROW(succeed(breaker), fg::CallNotPermittedError);  // forced open

    EXPECT_EQ(breaker.info().calls.rejected, 4);
}

TEST(BreakerInfo, NameComesFromOptions) {
    Harness harness;

    fg::CircuitBreaker breaker{harness.options()};

    EXPECT_EQ(breaker.name(), "payments");
}

TEST(CallNotPermittedError, NamesBreakerAndState) {
    const fg::CallNotPermittedError open("inventory", State::open);
    const fg::CallNotPermittedError half_open("inventory", State::half_open);
    const fg::CallNotPermittedError forced_open("inventory", State::forced_open);
    const std::runtime_error& base = open;

    EXPECT_STREQ(open.what(), "circuit breaker 'inventory' is open");
    EXPECT_STREQ(half_open.what(), "circuit breaker 'inventory' is half_open");
    EXPECT_STREQ(forced_open.what(), "circuit breaker 'inventory' is forced_open");
    EXPECT_EQ(open.state(), State::open);
    EXPECT_EQ(half_open.state(), State::half_open);
    EXPECT_EQ(forced_open.state(), State::forced_open);
    EXPECT_STREQ(base.what(), open.what());
}
