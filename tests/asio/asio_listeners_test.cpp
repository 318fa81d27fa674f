#include <fluxgate/asio.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asio_support.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::testing::Gate;
using fg::testing::respond;
using fg::testing::run_ready;
using fg::testing::spawn;

namespace {

std::string describe(const std::string& who, const fg::Signal& signal) {
    return who + " " + std::string(fg::to_string(signal.old_state)) + " -> " +
           std::string(fg::to_string(signal.new_state));
}

// Yields to the event loop `turns` times, so that a listener really suspends.
asio::awaitable<void> yield(int turns) {
    for (int turn = 0; turn < turns; ++turn) {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }
}

struct ListenerFixture {
    asio::io_context io;
    std::vector<std::string> events;

    fg::Options options() {
        return fg::Options{
            .tripper = fg::trippers::FailureStreak(1),
            .listeners = {[this](const fg::Signal& signal) { events.push_back(describe("sync", signal)); }},
            .clock = std::make_shared<fg::ManualClock>(),
            .name = "payments",
        };
    }

    fg::listeners::AsyncListener recorder(std::string name, int turns) {
        return [this, name, turns](const fg::Signal& signal) -> asio::awaitable<void> {
            co_await yield(turns);
            events.push_back(describe(name, signal));
        };
    }

    // Runs a failing call, which opens the circuit, and notes when it returns.
    asio::awaitable<void> failing_call(fg::AsyncCircuitBreaker& breaker) {
        try {
            co_await breaker.call(respond, 0, true);
        } catch (const fg::testing::ServiceError&) {
        }
        events.emplace_back("call returned");
    }
};

}  // namespace

TEST(AsyncListeners, AwaitedInOrderBeforeCallReturns) {
    ListenerFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(), {fixture.recorder("first", 3), fixture.recorder("second", 1)});

    spawn(fixture.io, fixture.failing_call(breaker));
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events, (std::vector<std::string>{"sync closed -> open", "first closed -> open",
                                                         "second closed -> open", "call returned"}));
}

TEST(AsyncListeners, ManualControlAwaitsListeners) {
    ListenerFixture fixture;
    fg::AsyncCircuitBreaker breaker(fixture.options(), {fixture.recorder("async", 2)});
    auto control = [&]() -> asio::awaitable<void> {
        co_await breaker.force_open();
        fixture.events.emplace_back("force_open returned");
        co_await breaker.reset();
        fixture.events.emplace_back("reset returned");
    };

    spawn(fixture.io, control());
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events,
              (std::vector<std::string>{"sync closed -> forced_open", "async closed -> forced_open",
                                        "force_open returned", "sync forced_open -> closed",
                                        "async forced_open -> closed", "reset returned"}));
}

TEST(AsyncListeners, ThrowingListenerIsReportedAndSkipped) {
    ListenerFixture fixture;
    fg::testing::CapturedErrors errors;
    auto throwing = [](const fg::Signal&) -> asio::awaitable<void> {
        co_await yield(1);
        throw std::runtime_error("boom");
    };
    auto throwing_int = [](const fg::Signal&) -> asio::awaitable<void> {
        co_await yield(1);
        throw 42;
    };
    fg::AsyncCircuitBreaker breaker(fixture.options(), {throwing, throwing_int, fixture.recorder("last", 1)});

    spawn(fixture.io, fixture.failing_call(breaker));
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events, (std::vector<std::string>{"sync closed -> open", "last closed -> open", "call returned"}));
    EXPECT_EQ(errors.messages(),
              (std::vector<std::string>{
                  "fluxgate: async listener 0 of circuit breaker 'payments' threw on closed -> open: boom",
                  "fluxgate: async listener 1 of circuit breaker 'payments' threw a non-standard exception on "
                  "closed -> open"}));
}

TEST(AsyncListeners, ListenerThrowingBeforeAwaitIsSkipped) {
    ListenerFixture fixture;
    fg::testing::CapturedErrors errors;
    auto throws_at_once = [](const fg::Signal&) -> asio::awaitable<void> {
        throw std::runtime_error("not even started");
    };
    fg::AsyncCircuitBreaker breaker(fixture.options(), {throws_at_once, fixture.recorder("last", 0)});

    spawn(fixture.io, fixture.failing_call(breaker));
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events, (std::vector<std::string>{"sync closed -> open", "last closed -> open", "call returned"}));
    EXPECT_EQ(errors.messages().size(), 1U);
}

TEST(AsyncListeners, ListenerMayCallBackIntoBreaker) {
    ListenerFixture fixture;
    std::unique_ptr<fg::AsyncCircuitBreaker> breaker;
    auto resetting = [&](const fg::Signal& signal) -> asio::awaitable<void> {
        fixture.events.push_back(describe("resetting", signal));
        if (signal.new_state == State::open) {
            co_await breaker->reset();
            fixture.events.emplace_back("reset returned");
        }
    };
    breaker = std::make_unique<fg::AsyncCircuitBreaker>(fixture.options(),
                                                        std::vector<fg::listeners::AsyncListener>{resetting});

    spawn(fixture.io, fixture.failing_call(*breaker));
    run_ready(fixture.io);

    EXPECT_EQ(breaker->state(), State::closed);
    EXPECT_EQ(fixture.events,
              (std::vector<std::string>{"sync closed -> open", "resetting closed -> open", "sync open -> closed",
                                        "reset returned", "resetting open -> closed", "call returned"}));
}

TEST(AsyncListeners, TransitionsDuringDeliveryQueueInOrder) {
    ListenerFixture fixture;
    Gate gate(fixture.io);
    auto held = [&](const fg::Signal& signal) -> asio::awaitable<void> {
        if (signal.new_state == State::open) {
            co_await gate.pass();
        }
        fixture.events.push_back(describe("held", signal));
    };
    fg::AsyncCircuitBreaker breaker(fixture.options(), {held});

    auto caller = spawn(fixture.io, fixture.failing_call(breaker));
    run_ready(fixture.io);
    auto forcing = spawn(fixture.io, breaker.force_open());
    auto resetting = spawn(fixture.io, breaker.reset());
    run_ready(fixture.io);

    EXPECT_FALSE(caller->done);  // still awaiting the listener of its own transition
    EXPECT_TRUE(forcing->succeeded());
    EXPECT_TRUE(resetting->succeeded());

    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events,
              (std::vector<std::string>{"sync closed -> open", "sync open -> forced_open",
                                        "sync forced_open -> closed", "held closed -> open",
                                        "held open -> forced_open", "held forced_open -> closed", "call returned"}));
}

TEST(AsyncListeners, CancellingCallerDoesNotInterruptListener) {
    ListenerFixture fixture;
    Gate gate(fixture.io);
    auto held = [&](const fg::Signal& signal) -> asio::awaitable<void> {
        co_await gate.pass();
        fixture.events.push_back(describe("held", signal));
    };
    fg::AsyncCircuitBreaker breaker(fixture.options(), {held});
    asio::cancellation_signal cancel;

    auto caller = spawn(fixture.io, breaker.call(respond, 0, true), cancel.slot());
    run_ready(fixture.io);
    cancel.emit(asio::cancellation_type::terminal);
    run_ready(fixture.io);
    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(fixture.events, (std::vector<std::string>{"sync closed -> open", "held closed -> open"}));
    EXPECT_EQ(fg::testing::message_of(caller->error), "service failed");
    EXPECT_EQ(breaker.info().calls.failed, 1);
}

TEST(AsyncListeners, ProbeAdmissionAwaitsListeners) {
    ListenerFixture fixture;
    fg::Options options = fixture.options();
    options.retry = fg::retries::Always();
    options.permit = fg::permits::All();
    fg::AsyncCircuitBreaker breaker(std::move(options), {fixture.recorder("async", 1)});
    auto probe = [&]() -> asio::awaitable<int> {
        fixture.events.emplace_back("probe runs");
        co_return 1;
    };

    spawn(fixture.io, fixture.failing_call(breaker));
    run_ready(fixture.io);
    fixture.events.clear();
    auto outcome = spawn(fixture.io, breaker.call(probe));
    run_ready(fixture.io);

    EXPECT_TRUE(outcome->succeeded()) << fg::testing::message_of(outcome->error);
    EXPECT_EQ(fixture.events,
              (std::vector<std::string>{"sync open -> half_open", "async open -> half_open", "probe runs",
                                        "sync half_open -> closed", "async half_open -> closed"}));
}
