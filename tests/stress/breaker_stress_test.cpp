// Many threads on one breaker while others flip its manual controls. Each
// test checks invariants that must hold for every interleaving:
// - at most `max_half_open_calls` probes of one HALF_OPEN period are in flight;
// - every admitted call is counted once, and its outcome lands in the window
//   once or is discarded as stale, never twice;
// - each signal starts in the state the one before it ended in, and every
//   transition emits exactly one signal;
// - nothing deadlocks: a watchdog aborts the process instead of hanging.
//
// Work is bounded by an iteration count and by a wall-clock budget, which
// only limits how long the test runs and is never asserted on.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/state.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>
#include <fluxgate/windows.hpp>

#include "support/breaker_fakes.hpp"
#include "support/watchdog.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::IgnoredError;
using fluxgate_test::NonStandardError;
using fluxgate_test::ServiceError;
using fluxgate_test::SignalLog;
using fluxgate_test::Watchdog;

namespace {

constexpr int kWorkers = 3;
constexpr int kMaxIterationsPerWorker = 20'000;
constexpr auto kWorkBudget = 1500ms;
constexpr auto kWatchdogLimit = 90s;

// A CountWindow that counts its records and resets. The breaker resets its
// window exactly once per transition, under its lock, so `resets` doubles
// as the number of the current HALF_OPEN period.
class CountingWindow final : public fg::windows::Window {
public:
    struct Counters {
        std::atomic<std::int64_t> records{0};
        std::atomic<std::int64_t> resets{0};
    };

    CountingWindow(std::int64_t size, std::shared_ptr<Counters> counters)
        : inner_(size), counters_(std::move(counters)) {}

    void record(const fg::Record& record) override {
        counters_->records.fetch_add(1);
        inner_.record(record);
    }

    [[nodiscard]] fg::Metric get_metric(fg::TimePoint now) const override { return inner_.get_metric(now); }

    void reset() override {
        counters_->resets.fetch_add(1);
        inner_.reset();
    }

private:
    fg::windows::CountWindow inner_;
    std::shared_ptr<Counters> counters_;
};

// Opens on any failure while CLOSED. While HALF_OPEN, it reopens on the
// second failure in a row and closes from the third success on, so that a
// HALF_OPEN period lasts for several probes.
class ProbeRule final : public fg::trippers::Tripper {
public:
    [[nodiscard]] bool operator()(const fg::trippers::CallContext& context) const override {
        if (context.state == State::closed) {
            return context.consecutive_failures >= 1;
        }
        if (context.consecutive_failures > 0) {
            return context.consecutive_failures >= 2;
        }
        return context.metric.total_count < 3;
    }
};

// Tells the threads of one test when to stop: after the budget, or at once
// when the first thread has done all its iterations.
class StopSignal {
public:
    StopSignal() : deadline_(std::chrono::steady_clock::now() + kWorkBudget) {}

    [[nodiscard]] bool stopped() const {
        return stopped_.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= deadline_;
    }
    void stop() { stopped_.store(true, std::memory_order_relaxed); }

private:
    std::chrono::steady_clock::time_point deadline_;
    std::atomic<bool> stopped_{false};
};

// Probes in flight per HALF_OPEN period, as counted by the test. A probe is
// added after it is admitted and removed before its outcome is reported, so
// the count never exceeds the breaker's own, and a count above the limit
// proves the breaker admitted too many.
class ProbeLedger {
public:
    explicit ProbeLedger(std::int64_t limit) : limit_(limit) {}

    void add(std::int64_t period) {
        std::lock_guard lock(mutex_);
        const std::int64_t in_flight = ++in_flight_[period];
        max_seen_ = std::max(max_seen_, in_flight);
        if (in_flight > limit_) {
            ++violations_;
        }
    }

    void remove(std::int64_t period) {
        std::lock_guard lock(mutex_);
        --in_flight_[period];
    }

    [[nodiscard]] std::int64_t violations() const {
        std::lock_guard lock(mutex_);
        return violations_;
    }

    [[nodiscard]] std::int64_t max_seen() const {
        std::lock_guard lock(mutex_);
        return max_seen_;
    }

private:
    const std::int64_t limit_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::int64_t> in_flight_;
    std::int64_t violations_ = 0;
    std::int64_t max_seen_ = 0;
};

// Outcomes one worker reported, summed over workers after they join.
struct Tally {
    std::int64_t successes = 0;
    std::int64_t failures = 0;
    std::int64_t ignored = 0;
    std::int64_t rejected = 0;
    std::int64_t probes = 0;

    Tally& operator+=(const Tally& other) {
        successes += other.successes;
        failures += other.failures;
        ignored += other.ignored;
        rejected += other.rejected;
        probes += other.probes;
        return *this;
    }
};

// A call a worker was admitted for and has not finished yet.
struct HeldCall {
    fg::Permission permission;
    bool counted_probe;
    std::int64_t period;
};

// Reports the outcome `roll` picks (a percentage): success, failure, or no
// outcome at all. Calls admitted while DISABLED are not counted by the breaker.
void finish(HeldCall& call, int roll, ProbeLedger& ledger, Tally& tally) {
    const bool recorded = call.permission.state() != State::disabled;
    if (call.counted_probe) {
        ledger.remove(call.period);
    }
    if (roll < 55) {
        call.permission.success();
        tally.successes += recorded ? 1 : 0;
    } else if (roll < 90) {
        call.permission.failure();
        tally.failures += recorded ? 1 : 0;
    } else {
        call.permission.release();
    }
}

// Acquires permissions and finishes them in random order, holding up to
// three at once, so that a worker's own outcomes straddle transitions.
// `period` is the window's reset count, which numbers HALF_OPEN periods.
void run_permission_worker(fg::CircuitBreaker& breaker, fg::ManualClock& clock,
                           const std::atomic<std::int64_t>& period, ProbeLedger& ledger, StopSignal& stop,
                           unsigned seed, Tally& tally) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> percent(0, 99);
    std::vector<HeldCall> pending_calls;
    for (int i = 0; i < kMaxIterationsPerWorker && !stop.stopped(); ++i) {
        clock.advance(std::chrono::microseconds(percent(random) * 20));
        if (pending_calls.size() < 3 && percent(random) < 60) {
            const std::int64_t period_before = period.load();
            auto permission = breaker.try_acquire();
            const std::int64_t period_after = period.load();
            if (!permission) {
                ++tally.rejected;
                continue;
            }
            const bool counted_probe = permission->state() == State::half_open && period_before == period_after;
            if (counted_probe) {
                ledger.add(period_before);
                ++tally.probes;
            }
            pending_calls.push_back(HeldCall{std::move(*permission), counted_probe, period_before});
            continue;
        }
        if (pending_calls.empty()) {
            continue;
        }
        const auto index = static_cast<std::size_t>(percent(random)) % pending_calls.size();
        finish(pending_calls[index], percent(random), ledger, tally);
        pending_calls.erase(pending_calls.begin() + static_cast<std::ptrdiff_t>(index));
    }
    for (HeldCall& call : pending_calls) {
        finish(call, 99, ledger, tally);
    }
    stop.stop();
}

// Flips manual controls at random until `stop` is set. `allow_disable`
// is false where the test must count every admitted call, because calls
// admitted while DISABLED are not counted anywhere.
void flip_controls(fg::CircuitBreaker& breaker, const StopSignal& stop, unsigned seed, bool allow_disable) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> pick(0, 9);
    while (!stop.stopped()) {
        switch (pick(random)) {
            case 0: breaker.reset(); break;
            case 1: breaker.force_open(); break;
            case 2: breaker.metrics_only(); break;
            case 3:
                if (allow_disable) {
                    breaker.disable();
                }
                break;
            case 4:
            case 5: breaker.reset(); break;
            default: break;
        }
        for (int i = 0; i < 200 && !stop.stopped(); ++i) {
            std::this_thread::yield();
        }
    }
}

// Prints what a run covered, so that a reader of the log can tell a run
// that exercised the interesting paths from one that mostly idled.
void report_coverage(const fg::Info& info, const Tally& total, std::int64_t transitions) {
    std::printf("coverage: %lld transitions, %lld probes, %lld successful, %lld failed, %lld rejected, "
                "%lld ignored, %lld stale\n",
                static_cast<long long>(transitions), static_cast<long long>(total.probes),
                static_cast<long long>(info.calls.successful), static_cast<long long>(info.calls.failed),
                static_cast<long long>(info.calls.rejected), static_cast<long long>(info.calls.ignored),
                static_cast<long long>(info.calls.stale));
}

// Checks the signals the test listener received against the transitions the
// window counted and the breaker's final state.
void expect_consistent_signals(const SignalLog& log, std::int64_t transitions, State final_state) {
    const auto signals = log.signals();
    ASSERT_EQ(static_cast<std::int64_t>(signals.size()), transitions);
    State expected_old = State::closed;
    std::int64_t broken_links = 0;
    std::int64_t backwards_timestamps = 0;
    for (std::size_t i = 0; i < signals.size(); ++i) {
        broken_links += signals[i].old_state == expected_old ? 0 : 1;
        backwards_timestamps += i > 0 && signals[i].timestamp < signals[i - 1].timestamp ? 1 : 0;
        expected_old = signals[i].new_state;
    }
    EXPECT_EQ(broken_links, 0);
    EXPECT_EQ(backwards_timestamps, 0);
    EXPECT_EQ(expected_old, final_state);
}

// Joins every thread, then stops watching for a deadlock.
void join_all(std::vector<std::thread>& threads, Watchdog& watchdog) {
    for (std::thread& thread : threads) {
        thread.join();
    }
    watchdog.disarm();
}

Tally sum(const std::vector<Tally>& tallies) {
    Tally total;
    for (const Tally& tally : tallies) {
        total += tally;
    }
    return total;
}

// Checks the invariants every stress test shares: the breaker counted each
// outcome the workers reported once, the window received every outcome that
// was not stale exactly once, and the signals match the transitions.
void expect_accounted(const fg::CircuitBreaker& breaker, const Tally& total,
                      const CountingWindow::Counters& window, const SignalLog& log) {
    const fg::Info info = breaker.info();
    EXPECT_EQ(info.calls.successful, total.successes);
    EXPECT_EQ(info.calls.failed, total.failures);
    EXPECT_EQ(info.calls.ignored, total.ignored);
    EXPECT_EQ(info.calls.rejected, total.rejected);
    EXPECT_EQ(window.records.load(), info.calls.successful + info.calls.failed - info.calls.stale);
    expect_consistent_signals(log, window.resets.load(), breaker.state());
    report_coverage(info, total, window.resets.load());
}

}  // namespace

TEST(BreakerStress, PermissionsUnderManualControls) {
    Watchdog watchdog("BreakerStress.PermissionsUnderManualControls", kWatchdogLimit);
    constexpr std::int64_t kMaxProbes = 2;
    auto clock = std::make_shared<fg::ManualClock>();
    auto window = std::make_shared<CountingWindow::Counters>();
    SignalLog log;
    fg::CircuitBreaker* self = nullptr;
    std::atomic<std::int64_t> listener_info_reads{0};
    std::int64_t forced_open_signals = 0;  // only the listener, which runs serially, touches it
    using namespace fg::trippers;
    fg::CircuitBreaker breaker{{
        .window = CountingWindow(20, window),
        .tripper = FailureStreak(3) | (MinRequests(10) & FailureRate(0.5)),
        .retry = fg::retries::Cooldown(20ms),
        .permit = fg::permits::Random(0.7, 99),
        .max_half_open_calls = kMaxProbes,
        .listeners =
            {log.listener(),
             [&](const fg::Signal& signal) {
                 // Re-enters the breaker: reads it on every signal, and resets
                 // it from inside delivery on every third FORCED_OPEN.
                 (void)self->info();
                 listener_info_reads.fetch_add(1);
                 if (signal.new_state == State::forced_open && ++forced_open_signals % 3 == 0) {
                     self->reset();
                 }
             }},
        .clock = clock,
        .name = "stress",
    }};
    self = &breaker;
    StopSignal stop;
    ProbeLedger ledger(kMaxProbes);
    std::vector<Tally> tallies(kWorkers);

    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
        threads.emplace_back([&, w] {
            run_permission_worker(breaker, *clock, window->resets, ledger, stop, static_cast<unsigned>(1000 + w),
                                  tallies[static_cast<std::size_t>(w)]);
        });
    }
    threads.emplace_back([&] { flip_controls(breaker, stop, 7, true); });
    threads.emplace_back([&] {
        std::int64_t previous_total = 0;
        while (!stop.stopped()) {
            const fg::Info info = breaker.info();
            const std::int64_t total = info.calls.successful + info.calls.failed;
            EXPECT_GE(total, previous_total);
            EXPECT_LE(info.metrics.total_count, 20);
            previous_total = total;
            std::this_thread::yield();
        }
    });
    join_all(threads, watchdog);

    const Tally total = sum(tallies);
    expect_accounted(breaker, total, *window, log);
    EXPECT_EQ(ledger.violations(), 0) << "max probes seen in flight: " << ledger.max_seen();
    EXPECT_EQ(listener_info_reads.load(), window->resets.load());
    // Not invariants: they show that the run covered the interesting paths.
    EXPECT_GT(total.probes, 0);
    EXPECT_GT(total.rejected, 0);
    EXPECT_GT(breaker.info().calls.stale, 0);
}

TEST(BreakerStress, CallFormsUnderManualControls) {
    Watchdog watchdog("BreakerStress.CallFormsUnderManualControls", kWatchdogLimit);
    auto clock = std::make_shared<fg::ManualClock>();
    auto window = std::make_shared<CountingWindow::Counters>();
    SignalLog log;
    using namespace fg::trippers;
    fg::CircuitBreaker breaker{{
        .window = CountingWindow(16, window),
        .tracker = fg::trackers::TypeOf<ServiceError>(),
        .tripper = FailureStreak(2) | (MinRequests(8) & FailureRate(0.4)),
        .retry = fg::retries::Cooldown(10ms),
        .permit = fg::permits::Random(0.8, 11),
        .max_half_open_calls = 3,
        .listeners = {log.listener()},
        .clock = clock,
        .name = "stress",
    }};
    StopSignal stop;
    std::vector<Tally> tallies(kWorkers);

    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
        threads.emplace_back([&, w] {
            std::mt19937 random(static_cast<unsigned>(2000 + w));
            std::uniform_int_distribution<int> percent(0, 99);
            Tally& tally = tallies[static_cast<std::size_t>(w)];
            // Runs inside the breaker: advances time, then ends as `roll` selects.
            const auto protected_call = [&](int roll) {
                clock->advance(std::chrono::microseconds(roll * 10));
                std::this_thread::yield();  // lets other threads move the circuit on meanwhile
                if (roll < 50) {
                    ++tally.successes;
                    return 200;
                }
                if (roll < 75) {
                    ++tally.failures;
                    throw ServiceError("unavailable");
                }
                if (roll < 85) {
                    ++tally.failures;  // reported as a value, classified as a failure
                    return 503;
                }
                ++tally.ignored;
                if (roll < 95) {
                    throw IgnoredError("bad request");
                }
                throw NonStandardError{roll};
            };
            const auto is_server_error = [](int status) { return status >= 500; };
            for (int i = 0; i < kMaxIterationsPerWorker && !stop.stopped(); ++i) {
                clock->advance(std::chrono::microseconds(200));
                const int roll = percent(random);
                const int form = percent(random) % 3;
                try {
                    if (form == 0) {
                        (void)breaker.call_classified(protected_call, is_server_error, roll);
                    } else if (form == 1) {
                        // A 503 from `call` is a success: count it as one.
                        const int status = breaker.call(protected_call, roll);
                        if (status == 503) {
                            --tally.failures;
                            ++tally.successes;
                        }
                    } else {
                        const int status = breaker.call_with_fallback(
                            [&] { return protected_call(roll); },
                            [&](const std::exception& error) {
                                if (dynamic_cast<const fg::CallNotPermittedError*>(&error) != nullptr) {
                                    ++tally.rejected;
                                }
                                return 0;
                            });
                        if (status == 503) {
                            --tally.failures;
                            ++tally.successes;
                        }
                    }
                } catch (const fg::CallNotPermittedError&) {
                    ++tally.rejected;
                } catch (const ServiceError&) {
                } catch (const IgnoredError&) {
                } catch (const NonStandardError&) {
                }
            }
            stop.stop();
        });
    }
    threads.emplace_back([&] { flip_controls(breaker, stop, 8, false); });
    join_all(threads, watchdog);

    const Tally total = sum(tallies);
    expect_accounted(breaker, total, *window, log);
    EXPECT_GT(total.rejected, 0);
    EXPECT_GT(breaker.info().calls.stale, 0);
}

TEST(BreakerStress, SingleProbeSlotUnderContention) {
    Watchdog watchdog("BreakerStress.SingleProbeSlotUnderContention", kWatchdogLimit);
    auto clock = std::make_shared<fg::ManualClock>();
    auto window = std::make_shared<CountingWindow::Counters>();
    SignalLog log;
    // Every failure opens the circuit and the next call probes, so HALF_OPEN
    // periods are short and many threads race for the one slot of each.
    fg::CircuitBreaker breaker{{
        .window = CountingWindow(4, window),
        .tripper = ProbeRule(),
        .retry = fg::retries::Always(),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .listeners = {log.listener()},
        .clock = clock,
        .name = "stress",
    }};
    StopSignal stop;
    ProbeLedger ledger(1);
    std::vector<Tally> tallies(kWorkers + 1);

    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers + 1; ++w) {
        threads.emplace_back([&, w] {
            run_permission_worker(breaker, *clock, window->resets, ledger, stop, static_cast<unsigned>(3000 + w),
                                  tallies[static_cast<std::size_t>(w)]);
        });
    }
    join_all(threads, watchdog);

    const Tally total = sum(tallies);
    expect_accounted(breaker, total, *window, log);
    EXPECT_EQ(ledger.violations(), 0) << "max probes seen in flight: " << ledger.max_seen();
    EXPECT_GT(total.probes, 0);
}
