// The two-step API: `CircuitBreaker::try_acquire` and `Permission`.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

#include <fluxgate/state.hpp>
#include <fluxgate/trippers.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"
#include "support/expect_throw.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::enter_half_open;
using fluxgate_test::Harness;
using fluxgate_test::trip;

static_assert(!std::is_copy_constructible_v<fg::Permission>);
static_assert(!std::is_copy_assignable_v<fg::Permission>);
static_assert(std::is_nothrow_move_constructible_v<fg::Permission>);
static_assert(std::is_nothrow_move_assignable_v<fg::Permission>);

TEST(Permission, SuccessTimedFromAcquisition) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();
    ASSERT_TRUE(permission.has_value());
    harness.clock->advance(3s);

    permission->success();

    const fg::Info info = breaker.info();
    EXPECT_FALSE(permission->pending());
    EXPECT_EQ(info.metrics.total_count, 1);
    EXPECT_EQ(info.metrics.failure_count, 0);
    EXPECT_EQ(info.metrics.total_duration, 3s);
    EXPECT_EQ(info.calls.successful, 1);
}

TEST(Permission, FailureTimedFromAcquisition) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();
    harness.clock->advance(1500ms);

    permission->failure();

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.failure_count, 1);
    EXPECT_EQ(info.metrics.total_duration, 1500ms);
    EXPECT_EQ(info.calls.failed, 1);
}

TEST(Permission, ExplicitDurationsAreRecorded) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.clock->advance(1h);

    breaker.try_acquire()->success(250ms);
    breaker.try_acquire()->failure(2s);

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 2);
    EXPECT_EQ(info.metrics.failure_count, 1);
    EXPECT_EQ(info.metrics.total_duration, 2250ms);
}

TEST(Permission, ExplicitDurationReachesSlowThresholds) {
    Harness harness;
    fg::Options options = harness.options();
    options.tripper = fg::trippers::MinRequests(3) & fg::trippers::SlowRate(0.5, 1s);
    fg::CircuitBreaker breaker{std::move(options)};

    breaker.try_acquire()->success(1s);
    breaker.try_acquire()->failure(999ms);
    breaker.try_acquire()->failure(5s);

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.state, State::open);
    EXPECT_EQ(harness.log.size(), 1u);
}

TEST(Permission, ZeroDurationAccepted) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    breaker.try_acquire()->success(0s);

    EXPECT_EQ(breaker.info().metrics.total_count, 1);
}

TEST(Permission, NegativeDurationRejectedAndStaysPending) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();

    FLUXGATE_EXPECT_THROW_MESSAGE(permission->success(-1s), std::invalid_argument,
                                  "Permission: duration must be at least 0, got -1s");
    FLUXGATE_EXPECT_THROW_MESSAGE(permission->failure(-5ms), std::invalid_argument,
                                  "Permission: duration must be at least 0, got -5ms");

    EXPECT_TRUE(permission->pending());
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    permission->failure(10ms);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(Permission, OnlyFirstOutcomeCounts) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();

    permission->success();
    permission->failure();
    permission->failure(1s);
    permission->release();

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 1);
    EXPECT_EQ(info.metrics.failure_count, 0);
    EXPECT_EQ(harness.tripper.evaluations(), 1);
}

TEST(Permission, DroppedPermissionRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    {
        auto permission = breaker.try_acquire();
        ASSERT_TRUE(permission.has_value());
        harness.clock->advance(10s);
    }

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.successful, 0);
    EXPECT_EQ(info.calls.failed, 0);
    EXPECT_EQ(info.calls.ignored, 0);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(Permission, DroppedProbeFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    {
        auto probe = breaker.try_acquire();
        ASSERT_TRUE(probe.has_value());
        EXPECT_FALSE(breaker.try_acquire().has_value());
    }

    EXPECT_TRUE(breaker.try_acquire().has_value());
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(Permission, ReleasedProbeFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    auto probe = breaker.try_acquire();

    probe->release();

    EXPECT_FALSE(probe->pending());
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(Permission, OutcomeFreesSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.tripper.set(true);

    breaker.try_acquire()->success();

    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(Permission, MoveAssignmentReleasesOldPermission) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options(2)};
    enter_half_open(harness, breaker);
    auto first = breaker.try_acquire();
    auto second = breaker.try_acquire();
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    ASSERT_FALSE(breaker.try_acquire().has_value());

    *first = std::move(*second);

    EXPECT_TRUE(first->pending());
    EXPECT_FALSE(second->pending());
    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(Permission, MovedFromRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();

    fg::Permission moved = std::move(*permission);
    permission->failure();
    moved.success();

    EXPECT_FALSE(permission->pending());
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
    EXPECT_EQ(breaker.info().metrics.failure_count, 0);
}

TEST(Permission, SelfMoveAssignmentKeepsPermission) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();
    fg::Permission& alias = *permission;

    *permission = std::move(alias);

    EXPECT_TRUE(permission->pending());
}

TEST(Permission, CompletesOnAnotherThread) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto permission = breaker.try_acquire();

    std::thread worker([p = std::move(*permission)]() mutable { p.failure(); });
    worker.join();

    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(Permission, KnowsAdmittingState) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const auto closed = breaker.try_acquire();
    breaker.metrics_only();
    const auto metrics_only = breaker.try_acquire();
    breaker.disable();
    const auto disabled = breaker.try_acquire();
    breaker.reset();
    enter_half_open(harness, breaker);
    const auto half_open = breaker.try_acquire();

    EXPECT_EQ(closed->state(), State::closed);
    EXPECT_EQ(metrics_only->state(), State::metrics_only);
    EXPECT_EQ(disabled->state(), State::disabled);
    EXPECT_EQ(half_open->state(), State::half_open);
}

TEST(Permission, DisabledOutcomeNotRecorded) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.disable();
    harness.tripper.set(true);

    breaker.try_acquire()->failure();
    breaker.try_acquire()->success(1s);

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.state, State::disabled);
    EXPECT_EQ(info.metrics.total_count, 0);
    EXPECT_EQ(info.calls.failed, 0);
    EXPECT_EQ(info.calls.successful, 0);
    EXPECT_EQ(harness.tripper.evaluations(), 0);
}

TEST(Permission, MetricsOnlyOutcomeRecorded) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    breaker.metrics_only();
    harness.tripper.set(true);

    breaker.try_acquire()->failure();
    breaker.try_acquire()->success(1s);

    const fg::Info info = breaker.info();
    EXPECT_EQ(info.state, State::metrics_only);
    EXPECT_EQ(info.metrics.total_count, 2);
    EXPECT_EQ(info.metrics.failure_count, 1);
}

TEST(Permission, RejectedWhileOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);

    const auto permission = breaker.try_acquire();

    EXPECT_FALSE(permission.has_value());
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(Permission, RejectedWhileForcedOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.retry.set(true);
    breaker.force_open();

    const auto permission = breaker.try_acquire();

    EXPECT_FALSE(permission.has_value());
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(Permission, AcquiredWhileOpenBecomesProbe) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    harness.retry.set(true);

    auto probe = breaker.try_acquire();
    ASSERT_TRUE(probe.has_value());
    probe->success();

    EXPECT_EQ(probe->state(), State::half_open);
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(Permission, FailureTripsLikeCall) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.tripper.set(true);

    breaker.try_acquire()->failure();

    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(harness.log.size(), 1u);
}
