#include <fluxgate/options.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>
#include <utility>

#include <fluxgate/circuit_breaker.hpp>
#include <fluxgate/clock.hpp>
#include <fluxgate/state.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"
#include "support/expect_throw.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::fail;
using fluxgate_test::Harness;
using fluxgate_test::ServiceError;
using fluxgate_test::succeed;

namespace {

class NeverTrips final : public fg::trippers::Tripper {
public:
    bool operator()(const fg::trippers::CallContext&) const override { return false; }
};

class CountsTimeouts final : public fg::trackers::Tracker {
public:
    bool operator()(const std::exception& error) const override {
        return std::string_view(error.what()).find("timed out") != std::string_view::npos;
    }
};

}  // namespace

TEST(Options, DefaultsMatchOriginal) {
    const fg::Options options;

    const auto* window = dynamic_cast<const fg::windows::CountWindow*>(&*options.window);
    const auto leaves = options.tripper->leaves();
    const auto* retry = dynamic_cast<const fg::retries::Cooldown*>(&*options.retry);
    const auto* permit = dynamic_cast<const fg::permits::RampUp*>(&*options.permit);

    ASSERT_NE(window, nullptr);
    EXPECT_EQ(window->size(), 100);
    EXPECT_NE(dynamic_cast<const fg::trackers::All*>(&*options.tracker), nullptr);
    ASSERT_EQ(leaves.size(), 2u);
    const auto* min_requests = dynamic_cast<const fg::trippers::MinRequests*>(leaves[0]);
    const auto* failure_rate = dynamic_cast<const fg::trippers::FailureRate*>(leaves[1]);
    ASSERT_NE(min_requests, nullptr);
    ASSERT_NE(failure_rate, nullptr);
    EXPECT_EQ(min_requests->count(), 100);
    EXPECT_EQ(failure_rate->ratio(), 0.5);
    ASSERT_NE(retry, nullptr);
    EXPECT_EQ(retry->wait(), 60s);
    EXPECT_EQ(retry->jitter(), 0.0);
    ASSERT_NE(permit, nullptr);
    EXPECT_EQ(permit->initial(), 0.1);
    EXPECT_EQ(permit->final_ratio(), 1.0);
    EXPECT_EQ(permit->duration(), 60s);
    EXPECT_EQ(options.max_half_open_calls, 10);
    EXPECT_TRUE(options.listeners.empty());
    EXPECT_EQ(options.clock, fg::system_clock());
    EXPECT_EQ(options.name, "circuit");
}

TEST(Options, DefaultTripperNeedsHundredCallsAtHalfFailures) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{.clock = clock}};
    const auto fail_once = [&] {
        EXPECT_THROW(breaker.call([] { throw std::runtime_error("down"); }), std::runtime_error);
    };

    for (int i = 0; i < 50; ++i) {
        succeed(breaker);
    }
    for (int i = 0; i < 49; ++i) {
        fail_once();
    }
    const State after_99_calls = breaker.state();
    fail_once();

    EXPECT_EQ(after_99_calls, State::closed);
    EXPECT_EQ(breaker.state(), State::open);
}

TEST(Options, DefaultRetryWaitsSixtySeconds) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{.tripper = fg::trippers::FailureStreak(1), .clock = clock}};
    EXPECT_THROW(breaker.call([] { throw std::runtime_error("down"); }), std::runtime_error);

    clock->advance(59s);
    const bool admitted_early = breaker.try_acquire().has_value();
    const State before_wait = breaker.state();
    clock->advance(1s);
    (void)breaker.try_acquire();

    EXPECT_FALSE(admitted_early);
    EXPECT_EQ(before_wait, State::open);
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(Options, DefaultMaxHalfOpenCallsIsTen) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .tripper = fg::trippers::FailureStreak(1),
        .retry = fg::retries::Always(),
        .permit = fg::permits::All(),
        .clock = clock,
    }};
    EXPECT_THROW(breaker.call([] { throw std::runtime_error("down"); }), std::runtime_error);
    std::vector<fg::Permission> probes;

    while (auto probe = breaker.try_acquire()) {
        probes.push_back(std::move(*probe));
        ASSERT_LE(probes.size(), 10u);
    }

    EXPECT_EQ(probes.size(), 10u);
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(Options, DesignatedInitializersAcceptAnyComponent) {
    using namespace fg::trippers;
    const fg::Options options{
        .window = fg::windows::TimeWindow(30s),
        .tracker = (CountsTimeouts() | fg::trackers::TypeOf<ServiceError>()) &
                   ~fg::trackers::TypeOf<fluxgate_test::IgnoredError>(),
        .tripper = NeverTrips() | (FailureStreak(3) & Closed()),
        .retry = fg::retries::Backoff(1s, 2.0, 60s),
        .permit = fg::permits::Random(0.5, 7),
        .max_half_open_calls = 3,
        .listeners = {[](const fg::Signal&) {}},
        .clock = std::make_shared<fg::ManualClock>(),
        .name = "search",
    };

    fg::CircuitBreaker breaker{options};

    EXPECT_EQ(breaker.name(), "search");
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(Options, ZeroMaxHalfOpenCallsRejected) {
    Harness harness;

    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{harness.options(0)}, std::invalid_argument,
                                  "Options: max_half_open_calls must be at least 1, got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{harness.options(-4)}, std::invalid_argument,
                                  "Options: max_half_open_calls must be at least 1, got -4");
}

TEST(Options, NullClockRejected) {
    Harness harness;
    fg::Options options = harness.options();
    options.clock = nullptr;

    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{std::move(options)}, std::invalid_argument,
                                  "Options: clock must be a clock, got a null pointer");
}

TEST(Options, NullComponentsRejected) {
    Harness harness;
    fg::Options no_tracker = harness.options();
    no_tracker.tracker = std::shared_ptr<const fg::trackers::Tracker>();
    fg::Options no_tripper = harness.options();
    no_tripper.tripper = std::shared_ptr<const fg::trippers::Tripper>();
    fg::Options no_retry = harness.options();
    no_retry.retry = std::shared_ptr<const fg::retries::Retry>();
    fg::Options no_permit = harness.options();
    no_permit.permit = std::shared_ptr<const fg::permits::Permit>();

    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{no_tracker}, std::invalid_argument,
                                  "Options: tracker must be a component, got a null pointer");
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{no_tripper}, std::invalid_argument,
                                  "Options: tripper must be a component, got a null pointer");
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{no_retry}, std::invalid_argument,
                                  "Options: retry must be a component, got a null pointer");
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{no_permit}, std::invalid_argument,
                                  "Options: permit must be a component, got a null pointer");
}

TEST(Options, SharedComponentsAccepted) {
    Harness harness;
    fg::Options options = harness.options();
    options.tripper = std::shared_ptr<const fg::trippers::Tripper>(std::make_shared<fg::trippers::FailureStreak>(1));

    fg::CircuitBreaker breaker{std::move(options)};
    fail(breaker);

    EXPECT_EQ(breaker.state(), State::open);
}

TEST(Options, EmptyListenerRejected) {
    Harness harness;
    fg::Options options = harness.options();
    options.listeners.emplace_back();

    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{std::move(options)}, std::invalid_argument,
                                  "Options: listeners must be callables, got an empty function at index 1");
}

TEST(Options, MovedFromWindowRejected) {
    Harness harness;
    fg::Options options = harness.options();
    const auto moved_window = std::move(options.window);

    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{options}, std::invalid_argument,
                                  "Options: window must be a component, got a null pointer");
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::CircuitBreaker{std::move(options)}, std::invalid_argument,
                                  "Options: window must be a component, got a null pointer");
}

TEST(Options, CopiesGiveEachBreakerItsOwnWindow) {
    Harness harness;
    const fg::Options options = harness.options();

    fg::CircuitBreaker first{options};
    fg::CircuitBreaker second{options};
    fail(first);
    fail(first);
    succeed(second);

    EXPECT_EQ(first.info().metrics.total_count, 2);
    EXPECT_EQ(first.info().metrics.failure_count, 2);
    EXPECT_EQ(second.info().metrics.total_count, 1);
    EXPECT_EQ(second.info().metrics.failure_count, 0);
}

TEST(Options, CopyOfWindowIsIndependent) {
    fg::Options original{.window = fg::windows::CountWindow(10)};
    original.window->record(fg::Record{false, 1s, {}, fg::TimePoint()});

    fg::Options copy = original;
    copy.window->record(fg::Record{true, 1s, {}, fg::TimePoint()});
    fg::Options assigned;
    assigned = original;
    assigned.window->reset();

    EXPECT_EQ(original.window->get_metric(fg::TimePoint()).total_count, 1);
    EXPECT_EQ(copy.window->get_metric(fg::TimePoint()).total_count, 2);
    EXPECT_EQ(assigned.window->get_metric(fg::TimePoint()).total_count, 0);
}

TEST(Options, SlowThresholdsFoundAnywhereInTripper) {
    Harness harness;
    fg::Options options = harness.options();
    using namespace fg::trippers;
    options.tripper = FailureStreak(5) | (MinRequests(3) & (FailureRate(0.9) | SlowRate(0.5, 1s)));
    fg::CircuitBreaker breaker{std::move(options)};

    breaker.try_acquire()->success(1s);
    breaker.try_acquire()->failure(3s);
    const fg::Metric metric = breaker.info().metrics;
    breaker.try_acquire()->success(10ms);

    EXPECT_EQ(metric.slow_count(1s), 2);
    EXPECT_EQ(breaker.state(), State::open);
}
