#include <fluxgate/asio.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "asio_support.hpp"
#include "support/expect_throw.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::testing::respond;
using fg::testing::run_ready;
using fg::testing::ServiceError;
using fg::testing::spawn;

namespace {

struct Fixture {
    asio::io_context io;
    std::shared_ptr<fg::ManualClock> clock = std::make_shared<fg::ManualClock>();
    fg::testing::SignalLog log;

    fg::Options options(fg::detail::SharedComponent<fg::trippers::Tripper> tripper = fg::trippers::FailureStreak(2)) {
        return fg::Options{
            .window = fg::windows::CountWindow(10),
            .tracker = fg::trackers::TypeOf<ServiceError>(),
            .tripper = std::move(tripper),
            .retry = fg::retries::Cooldown(10s),
            .permit = fg::permits::All(),
            .max_half_open_calls = 2,
            .listeners = {[this](const fg::Signal& signal) { log.add(signal); }},
            .clock = clock,
            .name = "payments",
        };
    }
};

// Drives `breaker` to OPEN with failing calls.
void open_circuit(Fixture& fixture, fg::AsyncCircuitBreaker& breaker, int failures) {
    for (int i = 0; i < failures; ++i) {
        spawn(fixture.io, breaker.call(respond, 0, true));
    }
    run_ready(fixture.io);
}

}  // namespace

TEST(AsyncCircuitBreaker, ClosedSuccessReturnsAndRecords) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());

    auto outcome = spawn(fixture.io, breaker.call(respond, 200, false));
    run_ready(fixture.io);

    ASSERT_TRUE(outcome->succeeded());
    EXPECT_EQ(*outcome->value, 200);
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
    EXPECT_EQ(breaker.info().metrics.failure_count, 0);
}

TEST(AsyncCircuitBreaker, TrackedFailuresOpenCircuit) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());

    auto first = spawn(fixture.io, breaker.call(respond, 0, true));
    run_ready(fixture.io);
    EXPECT_EQ(breaker.state(), State::closed);
    auto second = spawn(fixture.io, breaker.call(respond, 0, true));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::message_of(first->error), "service failed");
    EXPECT_EQ(fg::testing::message_of(second->error), "service failed");
    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(fixture.log.transitions(), std::vector<std::string>{"closed -> open"});
}

TEST(AsyncCircuitBreaker, UntrackedExceptionRecordsNothing) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    auto throw_logic_error = []() -> asio::awaitable<int> {
        throw std::logic_error("bug");
        co_return 0;
    };

    auto outcome = spawn(fixture.io, breaker.call(throw_logic_error));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::message_of(outcome->error), "bug");
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_EQ(breaker.info().calls.ignored, 1);
}

TEST(AsyncCircuitBreaker, OpenRejectsUntilCooldownEnds) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    open_circuit(fixture, breaker, 2);
    bool fetched = false;
    auto fetch = [&fetched]() -> asio::awaitable<int> {
        fetched = true;
        co_return 1;
    };

    auto rejected = spawn(fixture.io, breaker.call(fetch));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::rejected_by(rejected->error), State::open);
    EXPECT_EQ(fg::testing::message_of(rejected->error), "circuit breaker 'payments' is open");
    EXPECT_FALSE(fetched);
    EXPECT_EQ(breaker.info().calls.rejected, 1);

    fixture.clock->advance(10s);
    auto probe = spawn(fixture.io, breaker.call(fetch));
    run_ready(fixture.io);

    EXPECT_TRUE(probe->succeeded());
    EXPECT_TRUE(fetched);
    EXPECT_EQ(fixture.log.transitions(),
              (std::vector<std::string>{"closed -> open", "open -> half_open", "half_open -> closed"}));
}

TEST(AsyncCircuitBreaker, HalfOpenFailureReopens) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    open_circuit(fixture, breaker, 1);
    fixture.clock->advance(10s);

    auto probe = spawn(fixture.io, breaker.call(respond, 0, true));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::message_of(probe->error), "service failed");
    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(breaker.info().reopens, 1);
    EXPECT_EQ(fixture.log.transitions(),
              (std::vector<std::string>{"closed -> open", "open -> half_open", "half_open -> open"}));
}

TEST(AsyncCircuitBreaker, HalfOpenPermitDenialRejects) {
    Fixture fixture;
    fg::Options options = fixture.options(fg::trippers::FailureStreak(1));
    options.permit = fg::permits::Random(0.0, 1);
    fg::AsyncCircuitBreaker breaker(std::move(options));
    open_circuit(fixture, breaker, 1);
    fixture.clock->advance(10s);

    auto outcome = spawn(fixture.io, breaker.call(respond, 1, false));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::rejected_by(outcome->error), State::half_open);
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(AsyncCircuitBreaker, MetricsOnlyRecordsAndNeverTrips) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    spawn(fixture.io, breaker.metrics_only());
    run_ready(fixture.io);

    open_circuit(fixture, breaker, 3);

    EXPECT_EQ(breaker.state(), State::metrics_only);
    EXPECT_EQ(breaker.info().metrics.failure_count, 3);
}

TEST(AsyncCircuitBreaker, DisabledRecordsNothing) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    spawn(fixture.io, breaker.disable());
    run_ready(fixture.io);

    open_circuit(fixture, breaker, 3);
    auto outcome = spawn(fixture.io, breaker.call(respond, 5, false));
    run_ready(fixture.io);

    EXPECT_EQ(*outcome->value, 5);
    EXPECT_EQ(breaker.state(), State::disabled);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}

TEST(AsyncCircuitBreaker, ForcedOpenRejectsUntilReset) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    spawn(fixture.io, breaker.force_open());
    run_ready(fixture.io);
    fixture.clock->advance(1h);

    auto rejected = spawn(fixture.io, breaker.call(respond, 1, false));
    run_ready(fixture.io);
    spawn(fixture.io, breaker.reset());
    run_ready(fixture.io);
    auto admitted = spawn(fixture.io, breaker.call(respond, 2, false));
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::rejected_by(rejected->error), State::forced_open);
    EXPECT_EQ(*admitted->value, 2);
    EXPECT_EQ(fixture.log.transitions(), (std::vector<std::string>{"closed -> forced_open", "forced_open -> closed"}));
}

TEST(AsyncCircuitBreaker, ResetWhileClosedIsTransition) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    spawn(fixture.io, breaker.call(respond, 1, true));
    run_ready(fixture.io);

    spawn(fixture.io, breaker.reset());
    run_ready(fixture.io);

    EXPECT_EQ(fixture.log.transitions(), std::vector<std::string>{"closed -> closed"});
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}

TEST(AsyncCircuitBreaker, VoidCallRecordsSuccess) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    int calls = 0;
    auto fetch = [&calls]() -> asio::awaitable<void> {
        ++calls;
        co_return;
    };

    auto outcome = spawn(fixture.io, breaker.call(fetch));
    run_ready(fixture.io);

    EXPECT_TRUE(outcome->succeeded());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
}

TEST(AsyncCircuitBreaker, MeasuresDurationWithClock) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::SlowRate(1.0, 2s)));
    auto slow = [&fixture]() -> asio::awaitable<int> {
        fixture.clock->advance(3s);
        co_return 1;
    };

    spawn(fixture.io, breaker.call(slow));
    run_ready(fixture.io);

    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(fixture.log.transitions(), std::vector<std::string>{"closed -> open"});
}

TEST(AsyncCircuitBreaker, StaleOutcomeIsDiscarded) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    fg::testing::Gate gate(fixture.io);
    auto held = [&gate]() -> asio::awaitable<int> {
        co_await gate.pass();
        throw ServiceError("late failure");
    };

    auto outcome = spawn(fixture.io, breaker.call(held));
    run_ready(fixture.io);
    spawn(fixture.io, breaker.reset());
    run_ready(fixture.io);
    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(fg::testing::message_of(outcome->error), "late failure");
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().calls.stale, 1);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}

TEST(AsyncCircuitBreaker, ClassifiedResultCountsAsFailure) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));

    auto outcome = spawn(fixture.io, breaker.call_classified(respond, [](int status) { return status >= 500; },
                                                             503, false));
    run_ready(fixture.io);

    EXPECT_EQ(*outcome->value, 503);
    EXPECT_EQ(breaker.state(), State::open);
}

TEST(AsyncCircuitBreaker, FallbackAnswersRejectionAndFailure) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(fg::trippers::FailureStreak(1)));
    std::vector<std::string> errors;
    auto fallback = [&errors](const std::exception& error) {
        errors.emplace_back(error.what());
        return -1;
    };

    auto failed = spawn(fixture.io, breaker.call_with_fallback(respond, fallback, 1, true));
    run_ready(fixture.io);
    auto rejected = spawn(fixture.io, breaker.call_with_fallback(respond, fallback, 1, false));
    run_ready(fixture.io);

    EXPECT_EQ(*failed->value, -1);
    EXPECT_EQ(*rejected->value, -1);
    EXPECT_EQ(errors, (std::vector<std::string>{"service failed", "circuit breaker 'payments' is open"}));
    EXPECT_EQ(breaker.info().calls.failed, 1);
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(AsyncCircuitBreaker, AwaitableFallbackIsAwaited) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    spawn(fixture.io, breaker.force_open());
    run_ready(fixture.io);
    auto cached = [](const std::exception&) -> asio::awaitable<std::string> { co_return "cached"; };
    auto fetch = []() -> asio::awaitable<std::string> { co_return "live"; };

    auto outcome = spawn(fixture.io, breaker.call_with_fallback(fetch, cached));
    run_ready(fixture.io);

    EXPECT_EQ(*outcome->value, "cached");
}

TEST(AsyncCircuitBreaker, WrapCopiesCallableAndArguments) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    auto echo = [](std::string text) -> asio::awaitable<std::string> { co_return text + "!"; };
    asio::awaitable<std::string> pending = [&] {
        auto guarded = breaker.wrap(echo);
        std::string argument = "hello";
        return guarded(argument);
    }();  // the wrapper and the argument are gone before the call runs

    auto outcome = spawn(fixture.io, std::move(pending));
    run_ready(fixture.io);

    EXPECT_EQ(*outcome->value, "hello!");
}

TEST(AsyncCircuitBreaker, WrapWithFallback) {
    Fixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options());
    auto safe = breaker.wrap(respond, [](const std::exception&) { return 0; });

    auto failed = spawn(fixture.io, safe(7, true));
    auto succeeded = spawn(fixture.io, safe(7, false));
    run_ready(fixture.io);

    EXPECT_EQ(*failed->value, 0);
    EXPECT_EQ(*succeeded->value, 7);
}

TEST(AsyncCircuitBreaker, RejectsEmptyAsyncListener) {
    FLUXGATE_EXPECT_THROW_MESSAGE(fg::AsyncCircuitBreaker(fg::Options{}, {fg::listeners::AsyncListener{}}),
                                  std::invalid_argument,
                                  "AsyncCircuitBreaker: async_listeners must be callables, got an empty function at "
                                  "index 0");
}

// The example of docs/async.md, with local stand-ins for the service, the cache and the alerts.
TEST(AsyncCircuitBreaker, DocumentedExampleRuns) {
    using namespace fg::trippers;
    asio::io_context io;
    std::vector<fg::Signal> alerts;
    auto fetch_status = [](std::string payment_id) -> asio::awaitable<int> {
        if (payment_id.empty()) {
            throw ServiceError("no payment id");
        }
        co_return 200;
    };
    auto cached_status = [] { return 1; };
    fg::AsyncCircuitBreaker breaker{
        {
            .tripper = FailureStreak(5) | (MinRequests(20) & FailureRate(0.5)),
            .retry = fg::retries::Backoff(10s, 2.0, 600s),
            .max_half_open_calls = 2,
            .name = "payments-api",
        },
        {[&alerts](const fg::Signal& signal) -> asio::awaitable<void> {
            alerts.push_back(signal);
            co_return;
        }},
    };
    auto status_of = [&](std::string payment_id) -> asio::awaitable<int> {
        co_return co_await breaker.call_with_fallback(
            fetch_status, [&](const std::exception&) { return cached_status(); }, payment_id);
    };

    auto live = spawn(io, status_of("pay-1"));
    auto failed = spawn(io, status_of(""));
    run_ready(io);

    EXPECT_EQ(*live->value, 200);
    EXPECT_EQ(*failed->value, 1);
    EXPECT_TRUE(alerts.empty());
}

TEST(AsyncCircuitBreaker, DefaultOptionsStartClosed) {
    fg::AsyncCircuitBreaker breaker;

    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.name(), "circuit");
}
