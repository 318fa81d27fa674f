#include <fluxgate/asio.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "asio_support.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::testing::ServiceError;

namespace {

constexpr int kThreads = 4;
constexpr int kWorkers = 16;
constexpr int kCallsPerWorker = 300;
constexpr std::uint32_t kSeed = 20261204;
// Upper bound for the whole run; a lost wake-up shows up as this timeout.
constexpr auto kDeadline = 120s;

struct Counts {
    std::atomic<int> returned{0};
    std::atomic<int> failed{0};
    std::atomic<int> rejected{0};
    std::atomic<int> aborted{0};
    std::atomic<int> fetch_successes{0};
    std::atomic<int> fetch_failures{0};
};

struct StressFixture {
    asio::io_context io{kThreads};
    std::shared_ptr<fg::ManualClock> clock = std::make_shared<fg::ManualClock>();
    Counts counts;
    fg::testing::SignalLog sync_signals;
    fg::testing::SignalLog async_signals;
    fg::AsyncCircuitBreaker breaker{
        fg::Options{
            .window = fg::windows::CountWindow(20),
            .tracker = fg::trackers::TypeOf<ServiceError>(),
            .tripper = fg::testing::HalfOpenFor(3),
            .retry = fg::retries::Cooldown(20ms),
            .permit = fg::permits::All(),
            .max_half_open_calls = 2,
            .listeners = {[this](const fg::Signal& signal) { sync_signals.add(signal); }},
            .clock = clock,
            .name = "stress",
        },
        {[this](const fg::Signal& signal) -> asio::awaitable<void> {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            async_signals.add(signal);
        }}};

    // A protected call that takes a turn of the event loop, then succeeds or
    // fails. It counts only outcomes that the breaker records: a call whose
    // coroutine is cancelled by then throws `operation_aborted` instead.
    asio::awaitable<int> fetch(bool fail) {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none) {
            throw std::system_error(asio::error::operation_aborted);
        }
        if (fail) {
            ++counts.fetch_failures;
            throw ServiceError("stress failure");
        }
        ++counts.fetch_successes;
        co_return 1;
    }

    // Cancelling needs the canceller and the call on one strand, so only
    // workers on a strand cancel some of their calls.
    asio::awaitable<void> worker(int id, bool on_strand) {
        std::mt19937 random(kSeed + static_cast<std::uint32_t>(id));
        std::bernoulli_distribution failing(0.2);
        std::bernoulli_distribution cancelling(on_strand ? 0.05 : 0.0);
        const asio::any_io_executor executor = co_await asio::this_coro::executor;

        for (int i = 0; i < kCallsPerWorker; ++i) {
            clock->advance(1ms);  // every attempt moves time, so the cooldown also ends while calls are rejected
            const bool fail = failing(random);
            try {
                if (cancelling(random)) {
                    auto cancel = std::make_shared<asio::cancellation_signal>();
                    asio::post(executor, [cancel] { cancel->emit(asio::cancellation_type::terminal); });
                    co_await asio::co_spawn(executor, breaker.call([this, fail] { return fetch(fail); }),
                                            asio::bind_cancellation_slot(cancel->slot(), asio::use_awaitable));
                } else {
                    co_await breaker.call([this, fail] { return fetch(fail); });
                }
                ++counts.returned;
            } catch (const ServiceError&) {
                ++counts.failed;
            } catch (const fg::CallNotPermittedError&) {
                ++counts.rejected;
            } catch (const std::system_error& error) {
                if (error.code() != std::error_code(asio::error::operation_aborted)) {
                    throw;
                }
                ++counts.aborted;
            }
            if (id == 0 && i % 50 == 49) {
                co_await breaker.force_open();
                co_await breaker.reset();
            }
        }
    }
};

// Restarts `io` and runs it on kThreads threads until `all_finished` is ready
// or the deadline passes, then stops it. Returns true if everything finished in time.
bool run_threads_until(asio::io_context& io, std::future<void> all_finished) {
    io.restart();
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&io] { io.run(); });
    }
    const bool in_time = all_finished.wait_for(kDeadline) == std::future_status::ready;
    if (!in_time) {
        io.stop();
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    return in_time;
}

}  // namespace

TEST(AsyncStress, ThreadedCallsStayConsistent) {
    StressFixture fixture;
    std::atomic<int> finished{0};
    std::atomic<int> worker_errors{0};
    std::promise<void> all_finished;

    for (int id = 0; id < kWorkers; ++id) {
        const bool on_strand = id % 2 == 0;
        const asio::any_io_executor executor =
            on_strand ? asio::any_io_executor(asio::make_strand(fixture.io)) : fixture.io.get_executor();
        asio::co_spawn(executor, fixture.worker(id, on_strand), [&](std::exception_ptr error) {
            if (error) {
                ++worker_errors;
            }
            if (++finished == kWorkers) {
                all_finished.set_value();
            }
        });
    }
    const bool in_time = run_threads_until(fixture.io, all_finished.get_future());

    ASSERT_TRUE(in_time) << "calls were still parked after the deadline";
    EXPECT_EQ(worker_errors.load(), 0);
    const Counts& counts = fixture.counts;
    EXPECT_EQ(counts.returned + counts.failed + counts.rejected + counts.aborted, kWorkers * kCallsPerWorker);
    EXPECT_GT(counts.aborted.load(), 0);
    EXPECT_GT(counts.rejected.load(), 0);

    const fg::Info info = fixture.breaker.info();
    EXPECT_EQ(info.calls.successful, counts.fetch_successes.load());
    EXPECT_EQ(info.calls.failed, counts.fetch_failures.load());
    EXPECT_EQ(info.calls.rejected, counts.rejected.load());

    const std::vector<fg::Signal> signals = fixture.sync_signals.signals();
    EXPECT_EQ(fixture.async_signals.signals(), signals);
    ASSERT_FALSE(signals.empty());
    EXPECT_EQ(signals.front().old_state, State::closed);
    for (std::size_t i = 1; i < signals.size(); ++i) {
        EXPECT_EQ(signals[i].old_state, signals[i - 1].new_state) << "signal " << i;
    }
}

TEST(AsyncStress, ThreadedProbesStayWithinLimit) {
    constexpr int kCallers = 64;
    constexpr int kCallsPerCaller = 20;
    asio::io_context io{kThreads};
    auto clock = std::make_shared<fg::ManualClock>();
    // Stays HALF_OPEN for every call below, so that each call is a probe.
    fg::AsyncCircuitBreaker breaker(fg::Options{
        .tripper = fg::testing::HalfOpenFor(1'000'000),
        .retry = fg::retries::Always(),
        .permit = fg::permits::All(),
        .max_half_open_calls = 2,
        .clock = clock,
    });
    std::atomic<int> in_flight{0};
    std::atomic<int> max_in_flight{0};
    std::atomic<int> succeeded{0};
    auto probe = [&]() -> asio::awaitable<int> {
        const int now_in_flight = ++in_flight;
        int seen = max_in_flight.load();
        while (now_in_flight > seen && !max_in_flight.compare_exchange_weak(seen, now_in_flight)) {
        }
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        --in_flight;
        co_return 1;
    };
    auto caller = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < kCallsPerCaller; ++i) {
            succeeded += co_await breaker.call(probe);
        }
    };
    auto failing = [&]() -> asio::awaitable<void> {
        try {
            co_await breaker.call(fg::testing::respond, 0, true);
        } catch (const ServiceError&) {
        }
    };
    fg::testing::spawn(io, failing());
    fg::testing::run_ready(io);
    ASSERT_EQ(breaker.state(), State::open);

    std::atomic<int> finished{0};
    std::promise<void> all_finished;
    for (int id = 0; id < kCallers; ++id) {
        const asio::any_io_executor executor =
            id % 2 == 0 ? asio::any_io_executor(asio::make_strand(io)) : io.get_executor();
        asio::co_spawn(executor, caller(), [&](std::exception_ptr) {
            if (++finished == kCallers) {
                all_finished.set_value();
            }
        });
    }
    const bool in_time = run_threads_until(io, all_finished.get_future());

    ASSERT_TRUE(in_time) << "calls were still parked after the deadline";
    EXPECT_EQ(succeeded.load(), kCallers * kCallsPerCaller);
    EXPECT_EQ(max_in_flight.load(), 2);
    EXPECT_EQ(breaker.state(), State::half_open);
    EXPECT_EQ(breaker.info().calls.rejected, 0);
}
