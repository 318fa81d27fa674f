#pragma once

/// @file
/// Time types and the clocks a breaker reads.

#include <atomic>
#include <chrono>
#include <memory>

namespace fluxgate {

/// Durations of calls, waits and windows.
using Duration = std::chrono::nanoseconds;
/// A point on the monotonic clock, used for every decision.
using TimePoint = std::chrono::steady_clock::time_point;
/// A point on the wall clock, used only for people and logs.
using WallTime = std::chrono::system_clock::time_point;

/// Source of monotonic and wall-clock time for a breaker.
///
/// Decisions use `now()`, which must never go backwards for a real clock.
/// `wall_now()` is shown to people (`Signal`, `Info`, log lines) and may jump.
///
/// Thread safety: implementations must be safe to call from many threads.
class Clock {
public:
    virtual ~Clock() = default;

    /// Returns the current monotonic time.
    [[nodiscard]] virtual TimePoint now() const noexcept = 0;

    /// Returns the current wall-clock time.
    [[nodiscard]] virtual WallTime wall_now() const noexcept = 0;

    /// Returns the monotonic time from a cheaper source that may lag `now()`
    /// by a few milliseconds but is never ahead of it. Breakers use it only to
    /// decide when an OPEN circuit may probe, so rejections stay cheap.
    /// Defaults to `now()`.
    [[nodiscard]] virtual TimePoint coarse_now() const noexcept { return now(); }
};

/// The clock breakers use by default: `std::chrono::steady_clock` and
/// `std::chrono::system_clock`.
class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const noexcept override { return std::chrono::steady_clock::now(); }
    [[nodiscard]] WallTime wall_now() const noexcept override { return std::chrono::system_clock::now(); }

    /// Reads `CLOCK_MONOTONIC_COARSE` where the system has it, and `now()`
    /// elsewhere. It is the clock that `steady_clock` reads, at the
    /// resolution of the kernel's tick (1 to 4 ms on Linux).
    [[nodiscard]] TimePoint coarse_now() const noexcept override;
};

/// Returns the process-wide `SystemClock` shared by breakers that are given no clock.
[[nodiscard]] std::shared_ptr<Clock> system_clock();

/// A clock that moves only when the caller advances or sets it, for tests and simulations.
///
/// Starts at a monotonic time of zero and a wall time of 2024-01-01T00:00:00Z.
/// `advance(d)` moves both times together; `set_wall(t)` moves only the wall
/// time, to simulate a wall-clock jump that must not affect decisions.
///
/// Thread safety: every member may be called concurrently.
class ManualClock final : public Clock {
public:
    ManualClock() = default;

    /// Creates a clock whose monotonic time is `start`.
    explicit ManualClock(TimePoint start) noexcept : ticks_(start.time_since_epoch().count()) {}

    [[nodiscard]] TimePoint now() const noexcept override {
        return TimePoint(Duration(ticks_.load(std::memory_order_acquire)));
    }

    [[nodiscard]] WallTime wall_now() const noexcept override {
        return WallTime(std::chrono::duration_cast<WallTime::duration>(
            Duration(wall_ticks_.load(std::memory_order_acquire))));
    }

    /// Moves the monotonic and the wall time forward by `d` (backwards if `d` is negative).
    void advance(Duration d) noexcept {
        ticks_.fetch_add(d.count(), std::memory_order_acq_rel);
        wall_ticks_.fetch_add(d.count(), std::memory_order_acq_rel);
    }

    /// Sets the monotonic time to `t` and leaves the wall time unchanged.
    void set(TimePoint t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }

    /// Sets the wall time to `t` and leaves the monotonic time unchanged.
    void set_wall(WallTime t) noexcept {
        wall_ticks_.store(std::chrono::duration_cast<Duration>(t.time_since_epoch()).count(),
                          std::memory_order_release);
    }

private:
    // 2024-01-01T00:00:00Z in nanoseconds since the Unix epoch.
    static constexpr Duration::rep kDefaultWallStart = 1'704'067'200LL * 1'000'000'000LL;

    std::atomic<Duration::rep> ticks_{0};
    std::atomic<Duration::rep> wall_ticks_{kDefaultWallStart};
};

}  // namespace fluxgate
