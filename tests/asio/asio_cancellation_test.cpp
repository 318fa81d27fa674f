#include <fluxgate/asio.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "asio_support.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::testing::Gate;
using fg::testing::is_operation_aborted;
using fg::testing::run_ready;
using fg::testing::spawn;

namespace {

struct CancellationFixture {
    asio::io_context io;
    std::shared_ptr<fg::ManualClock> clock = std::make_shared<fg::ManualClock>();
    Gate gate{io};

    fg::Options options(std::int64_t slots, std::int64_t probes) {
        return fg::Options{
            .tripper = fg::testing::HalfOpenFor(probes),
            .retry = fg::retries::Cooldown(10s),
            .permit = fg::permits::All(),
            .max_half_open_calls = slots,
            .clock = clock,
        };
    }

    // Opens the circuit with one failure and lets the cooldown pass.
    void make_half_open(fg::AsyncCircuitBreaker& breaker) {
        spawn(io, breaker.call(fg::testing::respond, 0, true));
        run_ready(io);
        clock->advance(10s);
    }

    asio::awaitable<int> gated(int value) {
        co_await gate.pass();
        co_return value;
    }

    // A protected call that a cancelled call must never reach.
    bool unexpected_fetch = false;
    asio::awaitable<int> must_not_run() {
        unexpected_fetch = true;
        co_return 0;
    }
};

}  // namespace

TEST(AsyncCancellation, CancelledCallIsNotRecorded) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 1));
    asio::cancellation_signal cancel;

    auto outcome = spawn(fixture.io, breaker.call([&] { return fixture.gated(1); }), cancel.slot());
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(outcome->error));
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().calls.failed, 0);
    EXPECT_EQ(breaker.info().calls.ignored, 0);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}

TEST(AsyncCancellation, CancelledTimerIsNotRecorded) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 1));
    asio::steady_timer timer(fixture.io, asio::steady_timer::time_point::max());
    auto wait = [&timer]() -> asio::awaitable<void> { co_await timer.async_wait(asio::use_awaitable); };

    auto outcome = spawn(fixture.io, breaker.call(wait));
    run_ready(fixture.io);
    timer.cancel();
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(outcome->error));
    EXPECT_EQ(breaker.state(), State::closed);
    EXPECT_EQ(breaker.info().calls.failed, 0);
}

TEST(AsyncCancellation, CancelledProbeFreesSlot) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 2));
    fixture.make_half_open(breaker);
    asio::cancellation_signal cancel;

    auto probe = spawn(fixture.io, breaker.call([&] { return fixture.gated(1); }), cancel.slot());
    auto waiter = spawn(fixture.io, breaker.call(fg::testing::respond, 2, false));
    run_ready(fixture.io);
    EXPECT_FALSE(waiter->done);

    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(probe->error));
    ASSERT_TRUE(waiter->succeeded());
    EXPECT_EQ(*waiter->value, 2);
    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().metrics.total_count, 1);
}

TEST(AsyncCancellation, WaiterCancelledWhileWaiting) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 10));
    fixture.make_half_open(breaker);
    asio::cancellation_signal cancel;

    auto probe = spawn(fixture.io, breaker.call([&] { return fixture.gated(1); }));
    auto cancelled = spawn(fixture.io, breaker.call([&] { return fixture.must_not_run(); }), cancel.slot());
    auto waiter = spawn(fixture.io, breaker.call(fg::testing::respond, 3, false));
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(cancelled->error));
    EXPECT_FALSE(probe->done);
    EXPECT_FALSE(waiter->done);

    fixture.gate.open();
    run_ready(fixture.io);

    EXPECT_TRUE(probe->succeeded());
    ASSERT_TRUE(waiter->succeeded());
    EXPECT_EQ(*waiter->value, 3);
    EXPECT_FALSE(fixture.unexpected_fetch);
    EXPECT_EQ(breaker.info().calls.rejected, 0);
    EXPECT_EQ(breaker.info().metrics.total_count, 2);
}

// The probe's completion wakes the first waiter, and the waiter is cancelled
// before it resumes. It must hand its turn to the next waiter.
TEST(AsyncCancellation, WokenWaiterCancelledPassesTurnOn) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 10));
    fixture.make_half_open(breaker);
    asio::cancellation_signal cancel;

    asio::co_spawn(fixture.io, breaker.call([&] { return fixture.gated(1); }),
                   [&cancel](std::exception_ptr, int) { cancel.emit(asio::cancellation_type::terminal); });
    auto cancelled = spawn(fixture.io, breaker.call([&] { return fixture.must_not_run(); }), cancel.slot());
    auto waiter = spawn(fixture.io, breaker.call(fg::testing::respond, 4, false));
    run_ready(fixture.io);
    fixture.gate.open();
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(cancelled->error));
    EXPECT_FALSE(fixture.unexpected_fetch);
    ASSERT_TRUE(waiter->succeeded());
    EXPECT_EQ(*waiter->value, 4);
    EXPECT_EQ(breaker.info().metrics.total_count, 2);
}

TEST(AsyncCancellation, PartialCancellationAbortsWait) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 10));
    fixture.make_half_open(breaker);
    asio::cancellation_signal cancel;
    auto accepting_partial = [&]() -> asio::awaitable<int> {
        // A coroutine's cancellation state passes on only terminal cancellation by default.
        co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
        co_return co_await breaker.call(fg::testing::respond, 2, false);
    };

    auto probe = spawn(fixture.io, breaker.call([&] { return fixture.gated(1); }));
    auto cancelled = spawn(fixture.io, accepting_partial(), cancel.slot());
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::partial);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(cancelled->error));
    EXPECT_FALSE(probe->done);
}

TEST(AsyncCancellation, FallbackDoesNotSeeCancellation) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 1));
    asio::cancellation_signal cancel;
    bool fallback_called = false;
    auto fallback = [&fallback_called](const std::exception&) {
        fallback_called = true;
        return 0;
    };

    auto outcome =
        spawn(fixture.io, breaker.call_with_fallback([&] { return fixture.gated(1); }, fallback), cancel.slot());
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(outcome->error));
    EXPECT_FALSE(fallback_called);
}

TEST(AsyncCancellation, AlreadyCancelledCallNeverStarts) {
    CancellationFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(1, 1));
    asio::cancellation_signal cancel;
    bool fetched = false;
    auto fetch = [&fetched]() -> asio::awaitable<int> {
        fetched = true;
        co_return 1;
    };
    auto caller = [&]() -> asio::awaitable<int> {
        co_await fixture.gate.pass();  // cancelled here, with the exception swallowed below
        co_return 0;
    };
    auto outer = [&]() -> asio::awaitable<int> {
        try {
            co_await caller();
        } catch (const std::system_error&) {
        }
        co_return co_await breaker.call(fetch);
    };

    auto outcome = spawn(fixture.io, outer(), cancel.slot());
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);

    EXPECT_TRUE(is_operation_aborted(outcome->error));
    EXPECT_FALSE(fetched);
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
}
