#include <fluxgate/asio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "asio_support.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::testing::Gate;
using fg::testing::HalfOpenFor;
using fg::testing::respond;
using fg::testing::run_ready;
using fg::testing::spawn;

namespace {

struct HalfOpenFixture {
    asio::io_context io;
    std::shared_ptr<fg::ManualClock> clock = std::make_shared<fg::ManualClock>();
    int in_flight = 0;
    int max_in_flight = 0;
    int started = 0;

    // Builds a breaker that opens on the first failure, then moves it to OPEN
    // and lets the cooldown pass, so that the next call is a HALF_OPEN probe.
    std::unique_ptr<fg::AsyncCircuitBreaker> half_open_breaker(std::int64_t slots, std::int64_t probes) {
        auto breaker = std::make_unique<fg::AsyncCircuitBreaker>(fg::Options{
            .tripper = HalfOpenFor(probes),
            .retry = fg::retries::Cooldown(10s),
            .permit = fg::permits::All(),
            .max_half_open_calls = slots,
            .clock = clock,
        });
        spawn(io, breaker->call(respond, 0, true));
        run_ready(io);
        clock->advance(10s);
        return breaker;
    }

    // A protected call that counts itself in flight while it waits at `gate`.
    asio::awaitable<int> counted(Gate& gate, int value) {
        ++started;
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        co_await gate.pass();
        --in_flight;
        co_return value;
    }

    // A protected call that counts itself in flight for a few turns of the event loop.
    asio::awaitable<int> yielding(int value) {
        ++started;
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        for (int turn = 0; turn < 3; ++turn) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
        --in_flight;
        co_return value;
    }
};

}  // namespace

TEST(AsyncHalfOpen, ManyWaitersNeverExceedLimit) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(3, 40);
    std::vector<std::shared_ptr<fg::testing::Outcome<int>>> outcomes;

    for (int i = 0; i < 40; ++i) {
        outcomes.push_back(spawn(fixture.io, breaker->call([&fixture, i] { return fixture.yielding(i); })));
    }
    run_ready(fixture.io);

    for (int i = 0; i < 40; ++i) {
        ASSERT_TRUE(outcomes[static_cast<std::size_t>(i)]->succeeded()) << "call " << i;
        EXPECT_EQ(*outcomes[static_cast<std::size_t>(i)]->value, i);
    }
    EXPECT_EQ(fixture.max_in_flight, 3);
    EXPECT_EQ(breaker->state(), State::closed);
    EXPECT_EQ(breaker->info().calls.rejected, 0);
    EXPECT_EQ(breaker->info().calls.successful, 40);
}

TEST(AsyncHalfOpen, WaitersParkWhileSlotsTaken) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(2, 10);
    Gate gate(fixture.io);

    for (int i = 0; i < 6; ++i) {
        spawn(fixture.io, breaker->call([&] { return fixture.counted(gate, 1); }));
    }
    run_ready(fixture.io);

    EXPECT_EQ(fixture.started, 2);
    EXPECT_EQ(gate.waiting(), 2);
    EXPECT_EQ(breaker->state(), State::half_open);
    EXPECT_EQ(breaker->info().calls.rejected, 0);

    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(fixture.started, 6);
    EXPECT_EQ(fixture.max_in_flight, 2);
}

TEST(AsyncHalfOpen, ParkedCallsRunInArrivalOrder) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(1, 10);
    Gate gate(fixture.io);
    std::vector<int> order;
    auto record = [&order](int id) -> asio::awaitable<int> {
        order.push_back(id);
        co_return id;
    };

    spawn(fixture.io, breaker->call([&] { return fixture.counted(gate, 0); }));
    run_ready(fixture.io);
    for (int id = 1; id <= 5; ++id) {
        spawn(fixture.io, breaker->call(record, id));
        run_ready(fixture.io);
    }
    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(AsyncHalfOpen, WaiterRunsAsClosedAfterClose) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(1, 1);
    Gate probe_gate(fixture.io);
    Gate closed_gate(fixture.io);
    std::vector<std::shared_ptr<fg::testing::Outcome<int>>> waiters;

    auto probe = spawn(fixture.io, breaker->call([&] { return fixture.counted(probe_gate, 0); }));
    for (int i = 1; i <= 5; ++i) {
        waiters.push_back(spawn(fixture.io, breaker->call([&, i] { return fixture.counted(closed_gate, i); })));
    }
    run_ready(fixture.io);
    EXPECT_EQ(fixture.started, 1);

    probe_gate.open();
    run_ready(fixture.io);

    EXPECT_TRUE(probe->succeeded());
    EXPECT_EQ(breaker->state(), State::closed);
    EXPECT_EQ(closed_gate.waiting(), 5);  // all at once: CLOSED calls hold no slot

    closed_gate.open();
    run_ready(fixture.io);

    for (const auto& waiter : waiters) {
        EXPECT_TRUE(waiter->succeeded());
    }
    EXPECT_EQ(breaker->info().metrics.total_count, 5);
    EXPECT_EQ(breaker->info().calls.rejected, 0);
}

TEST(AsyncHalfOpen, WaitersRejectedWhenProbeReopens) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(1, 1);
    Gate gate(fixture.io);
    bool waiter_fetched = false;
    auto failing_probe = [&]() -> asio::awaitable<int> {
        co_await gate.pass();
        throw fg::testing::ServiceError("probe failed");
    };
    auto waiter_fetch = [&]() -> asio::awaitable<int> {
        waiter_fetched = true;
        co_return 1;
    };
    std::vector<std::shared_ptr<fg::testing::Outcome<int>>> waiters;

    spawn(fixture.io, breaker->call(failing_probe));
    for (int i = 0; i < 4; ++i) {
        waiters.push_back(spawn(fixture.io, breaker->call(waiter_fetch)));
    }
    run_ready(fixture.io);
    gate.open();
    run_ready(fixture.io);

    EXPECT_EQ(breaker->state(), State::open);
    for (const auto& waiter : waiters) {
        EXPECT_EQ(fg::testing::rejected_by(waiter->error), State::open);
    }
    EXPECT_FALSE(waiter_fetched);
    EXPECT_EQ(breaker->info().calls.rejected, 4);
}

TEST(AsyncHalfOpen, ManualTransitionWakesWaiters) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(1, 1);
    Gate gate(fixture.io);
    std::vector<std::shared_ptr<fg::testing::Outcome<int>>> waiters;

    auto probe = spawn(fixture.io, breaker->call([&] { return fixture.counted(gate, 0); }));
    for (int i = 0; i < 3; ++i) {
        waiters.push_back(spawn(fixture.io, breaker->call(respond, i, false)));
    }
    run_ready(fixture.io);
    spawn(fixture.io, breaker->force_open());
    run_ready(fixture.io);

    for (const auto& waiter : waiters) {
        EXPECT_EQ(fg::testing::rejected_by(waiter->error), State::forced_open);
    }
    EXPECT_FALSE(probe->done);

    gate.open();
    run_ready(fixture.io);

    EXPECT_TRUE(probe->succeeded());
    EXPECT_EQ(breaker->state(), State::forced_open);
    EXPECT_EQ(breaker->info().calls.stale, 1);
}

TEST(AsyncHalfOpen, WaiterResumesOnItsStrand) {
    HalfOpenFixture fixture;
    auto breaker = fixture.half_open_breaker(1, 10);
    Gate gate(fixture.io);
    auto strand = asio::make_strand(fixture.io);
    bool on_strand = false;
    auto check_strand = [&]() -> asio::awaitable<int> {
        on_strand = strand.running_in_this_thread();
        co_return 1;
    };

    spawn(fixture.io, breaker->call([&] { return fixture.counted(gate, 0); }));
    run_ready(fixture.io);
    auto waiter = std::make_shared<fg::testing::Outcome<int>>();
    asio::co_spawn(strand, breaker->call(check_strand), [waiter](std::exception_ptr error, int value) {
        waiter->done = true;
        waiter->error = error;
        waiter->value = value;
    });
    run_ready(fixture.io);
    EXPECT_FALSE(waiter->done);

    gate.open();
    run_ready(fixture.io);

    EXPECT_TRUE(waiter->succeeded());
    EXPECT_TRUE(on_strand);
}
