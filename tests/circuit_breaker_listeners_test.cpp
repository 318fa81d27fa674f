// How `CircuitBreaker` delivers signals: order, failures and re-entrancy.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fluxgate/errors.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/state.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"
#include "support/watchdog.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::CapturedErrors;
using fluxgate_test::fail;
using fluxgate_test::Harness;
using fluxgate_test::NonStandardError;
using fluxgate_test::ServiceError;
using fluxgate_test::SharedList;
using fluxgate_test::SignalLog;
using fluxgate_test::succeed;
using fluxgate_test::Transition;
using fluxgate_test::trip;
using fluxgate_test::Watchdog;

namespace {

// Checks that each signal starts where the one before it ended.
void expect_chained(const std::vector<fg::Signal>& signals, State first_old_state) {
    State expected_old = first_old_state;
    for (std::size_t i = 0; i < signals.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(signals[i].old_state, expected_old);
        expected_old = signals[i].new_state;
    }
}

}  // namespace

TEST(BreakerListeners, RunInRegistrationOrder) {
    Harness harness;
    SharedList<std::string> calls;
    fg::Options options = harness.options();
    options.listeners = {
        [&](const fg::Signal&) { calls.push("first"); },
        [&](const fg::Signal&) { calls.push("second"); },
        [&](const fg::Signal&) { calls.push("third"); },
    };
    fg::CircuitBreaker breaker{std::move(options)};

    breaker.force_open();
    breaker.reset();

    EXPECT_EQ(calls.snapshot(),
              (std::vector<std::string>{"first", "second", "third", "first", "second", "third"}));
}

TEST(BreakerListeners, ReceiveTransitionsInOrder) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    trip(harness, breaker);
    harness.retry.set(true);
    harness.tripper.set(true);
    fail(breaker);
    harness.tripper.set(false);
    succeed(breaker);
    breaker.metrics_only();
    breaker.disable();
    breaker.force_open();
    breaker.reset();

    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{
                                             {State::closed, State::open},
                                             {State::open, State::half_open},
                                             {State::half_open, State::open},
                                             {State::open, State::half_open},
                                             {State::half_open, State::closed},
                                             {State::closed, State::metrics_only},
                                             {State::metrics_only, State::disabled},
                                             {State::disabled, State::forced_open},
                                             {State::forced_open, State::closed},
                                         }));
    expect_chained(harness.log.signals(), State::closed);
}

TEST(BreakerListeners, RunOnCallingThreadBeforeCallReturns) {
    Harness harness;
    std::thread::id listener_thread;
    fg::Options options = harness.options();
    options.listeners.push_back([&](const fg::Signal&) { listener_thread = std::this_thread::get_id(); });
    fg::CircuitBreaker breaker{std::move(options)};
    harness.tripper.set(true);

    std::thread caller([&] {
        succeed(breaker);
        EXPECT_EQ(listener_thread, std::this_thread::get_id());
    });
    caller.join();

    EXPECT_EQ(harness.log.size(), 1u);
}

TEST(BreakerListeners, SignalCarriesWallTime) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const fg::WallTime wall(std::chrono::hours(500'000));
    harness.clock->set_wall(wall);

    breaker.force_open();

    ASSERT_EQ(harness.log.size(), 1u);
    EXPECT_EQ(harness.log.signals()[0].timestamp, wall);
}

TEST(BreakerListeners, StdExceptionReportedAndSkipped) {
    CapturedErrors errors;
    Harness harness;
    SignalLog after;
    fg::Options options = harness.options();
    options.listeners.insert(options.listeners.begin(),
                             [](const fg::Signal&) { throw std::runtime_error("listener broke"); });
    options.listeners.push_back(after.listener());
    fg::CircuitBreaker breaker{std::move(options)};
    harness.tripper.set(true);

    const int result = breaker.call([] { return 11; });

    EXPECT_EQ(result, 11);
    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(harness.log.size(), 1u);
    EXPECT_EQ(after.size(), 1u);
    EXPECT_EQ(errors.messages(),
              (std::vector<std::string>{
                  "fluxgate: listener 0 of circuit breaker 'payments' threw on closed -> open: listener broke"}));
}

TEST(BreakerListeners, NonStandardExceptionReportedAndSkipped) {
    CapturedErrors errors;
    Harness harness;
    fg::Options options = harness.options();
    options.listeners.insert(options.listeners.begin(), [](const fg::Signal&) { throw NonStandardError{}; });
    fg::CircuitBreaker breaker{std::move(options)};
    harness.tripper.set(true);

    fail(breaker);

    EXPECT_EQ(breaker.state(), State::open);
    EXPECT_EQ(harness.log.size(), 1u);
    EXPECT_EQ(errors.messages(), (std::vector<std::string>{"fluxgate: listener 0 of circuit breaker 'payments' "
                                                           "threw a non-standard exception on closed -> open"}));
}

TEST(BreakerListeners, ThrowingListenerDoesNotReachManualControl) {
    CapturedErrors errors;
    Harness harness;
    fg::Options options = harness.options();
    options.listeners.push_back([](const fg::Signal&) { throw std::logic_error("always"); });
    fg::CircuitBreaker breaker{std::move(options)};

    breaker.force_open();
    breaker.reset();

    EXPECT_EQ(harness.log.size(), 2u);
    EXPECT_EQ(errors.messages().size(), 2u);
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(BreakerListeners, ListenerMayReadInfo) {
    Harness harness;
    fg::CircuitBreaker* self = nullptr;
    SharedList<fg::Info> seen;
    fg::Options options = harness.options();
    options.listeners.push_back([&](const fg::Signal&) { seen.push(self->info()); });
    fg::CircuitBreaker breaker{std::move(options)};
    self = &breaker;
    succeed(breaker);

    trip(harness, breaker);

    const auto infos = seen.snapshot();
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].state, State::open);
    EXPECT_EQ(infos[0].metrics.total_count, 0);
    EXPECT_EQ(infos[0].calls.successful, 1);
    EXPECT_EQ(infos[0].calls.failed, 1);
}

TEST(BreakerListeners, ListenerMayResetBreaker) {
    Harness harness;
    fg::CircuitBreaker* self = nullptr;
    SignalLog after;
    fg::Options options = harness.options();
    options.listeners.insert(options.listeners.begin(), [&](const fg::Signal& signal) {
        if (signal.new_state == State::open) {
            self->reset();
        }
    });
    options.listeners.push_back(after.listener());
    fg::CircuitBreaker breaker{std::move(options)};
    self = &breaker;

    harness.tripper.set(true);
    fail(breaker);

    const std::vector<Transition> expected = {{State::closed, State::open}, {State::open, State::closed}};
    EXPECT_EQ(harness.log.transitions(), expected);
    EXPECT_EQ(after.transitions(), expected);
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(BreakerListeners, ListenerMayIssueSeveralControls) {
    Harness harness;
    fg::CircuitBreaker* self = nullptr;
    fg::Options options = harness.options();
    options.listeners.insert(options.listeners.begin(), [&](const fg::Signal& signal) {
        if (signal.new_state == State::open) {
            self->force_open();
            self->metrics_only();
        } else if (signal.new_state == State::forced_open) {
            self->reset();
        }
    });
    fg::CircuitBreaker breaker{std::move(options)};
    self = &breaker;
    harness.tripper.set(true);

    fail(breaker);

    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::open},
                                                                  {State::open, State::forced_open},
                                                                  {State::forced_open, State::metrics_only},
                                                                  {State::metrics_only, State::closed}}));
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(BreakerListeners, ListenerMayCallThroughBreaker) {
    Harness harness;
    fg::CircuitBreaker* self = nullptr;
    SharedList<std::string> results;
    fg::Options options = harness.options();
    options.listeners.push_back([&](const fg::Signal&) {
        results.push(self->call_with_fallback([] { return std::string("ran"); },
                                              [](const std::exception& error) { return std::string(error.what()); }));
    });
    fg::CircuitBreaker breaker{std::move(options)};
    self = &breaker;

    trip(harness, breaker);
    breaker.reset();

    EXPECT_EQ(results.snapshot(), (std::vector<std::string>{"circuit breaker 'payments' is open", "ran"}));
}

TEST(BreakerListeners, NestedSignalsThroughAnotherBreaker) {
    Watchdog watchdog("signals nested through a second breaker", 30s);
    Harness upstream_harness;
    Harness downstream_harness;
    fg::CircuitBreaker* upstream = nullptr;
    fg::CircuitBreaker* downstream = nullptr;
    fg::Options upstream_options = upstream_harness.options();
    upstream_options.listeners.push_back([&](const fg::Signal& signal) {
        if (signal.new_state == State::open) {
            downstream->force_open();
        }
    });
    fg::Options downstream_options = downstream_harness.options();
    downstream_options.listeners.push_back([&](const fg::Signal& signal) {
        if (signal.new_state == State::forced_open) {
            upstream->reset();
        }
    });
    fg::CircuitBreaker upstream_breaker{std::move(upstream_options)};
    fg::CircuitBreaker downstream_breaker{std::move(downstream_options)};
    upstream = &upstream_breaker;
    downstream = &downstream_breaker;
    upstream_harness.tripper.set(true);

    fail(upstream_breaker);
    watchdog.disarm();

    EXPECT_EQ(upstream_harness.log.transitions(),
              (std::vector<Transition>{{State::closed, State::open}, {State::open, State::closed}}));
    EXPECT_EQ(downstream_harness.log.transitions(), (std::vector<Transition>{{State::closed, State::forced_open}}));
    EXPECT_EQ(upstream_breaker.state(), State::closed);
}

TEST(BreakerListeners, NestedSignalDeliveredAfterOtherThreadsSignal) {
    Watchdog watchdog("a nested signal behind another thread's signal", 30s);
    Harness harness;
    fg::CircuitBreaker* self = nullptr;
    std::atomic<bool> start_other{false};
    fg::Options options = harness.options();
    options.listeners.insert(options.listeners.begin(), [&](const fg::Signal& signal) {
        if (signal.new_state != State::open) {
            return;
        }
        // Let the other thread transition while this signal is being
        // delivered, then transition again from inside the listener.
        start_other.store(true);
        while (self->state() != State::forced_open) {
            std::this_thread::yield();
        }
        self->reset();
    });
    fg::CircuitBreaker breaker{std::move(options)};
    self = &breaker;
    std::thread other([&] {
        while (!start_other.load()) {
            std::this_thread::yield();
        }
        breaker.force_open();
    });
    harness.tripper.set(true);

    fail(breaker);
    other.join();
    watchdog.disarm();

    EXPECT_EQ(harness.log.transitions(), (std::vector<Transition>{{State::closed, State::open},
                                                                  {State::open, State::forced_open},
                                                                  {State::forced_open, State::closed}}));
    EXPECT_EQ(breaker.state(), State::closed);
}
