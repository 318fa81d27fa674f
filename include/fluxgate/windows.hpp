#pragma once

/// @file
/// Windows: where a breaker aggregates recent calls into a `Metric`.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/metric.hpp>

namespace fluxgate::windows {

/// Aggregates recent records into a `Metric`.
///
/// Derive from `Window` to write your own; any copyable derived class can be
/// given to `Options::window`, which copies it for each breaker.
///
/// Thread safety: the breaker serializes every call to its window, so an
/// implementation needs no locking of its own.
class Window {
public:
    virtual ~Window() = default;

    /// Adds one finished call.
    virtual void record(const Record& record) = 0;

    /// Returns the aggregate of the calls the window contains at monotonic time `now`.
    [[nodiscard]] virtual Metric get_metric(TimePoint now) const = 0;

    /// Forgets every call.
    virtual void reset() = 0;

protected:
    Window() = default;
    /// Copying is for derived classes only, so a window is never sliced through its interface.
    Window(const Window&) = default;
    /// Copying is for derived classes only, so a window is never sliced through its interface.
    Window& operator=(const Window&) = default;
};

/// The last `size` calls, whenever they happened.
///
/// A ring buffer of records and a running total: `record` and `get_metric`
/// are O(1); memory is about `size * sizeof(Record)` bytes.
class CountWindow final : public Window {
public:
    /// Largest accepted `size`.
    static constexpr std::int64_t kMaxSize = 1'000'000;

    /// Throws `std::invalid_argument` unless `1 <= size <= kMaxSize`.
    explicit CountWindow(std::int64_t size);

    void record(const Record& record) override;
    [[nodiscard]] Metric get_metric(TimePoint now) const override;
    void reset() override;

    /// Returns the number of calls the window holds when full.
    [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(records_.size()); }

private:
    std::vector<Record> records_;
    std::size_t next_ = 0;
    std::size_t filled_ = 0;
    Metric total_;
};

/// The calls of the last `size` seconds of the monotonic clock.
///
/// Calls fall into one-second buckets, `floor(timestamp)` in whole seconds.
/// A record or a read at time t covers the buckets `floor(t) - size + 1` to
/// `floor(t)`. Older buckets are expired, also after idle gaps far longer
/// than the window. A record older than the newest bucket (threads finish
/// out of order) lands in its own second's bucket while that second is
/// inside the window, and is dropped otherwise, so it never wipes newer data.
///
/// Cost: `record` and `get_metric` are O(1) while time stays in one second,
/// O(seconds elapsed, at most `size`) when it moves on. Memory is about
/// `size * sizeof(Metric)` bytes.
class TimeWindow final : public Window {
public:
    /// Largest accepted `size`: one day.
    static constexpr std::chrono::seconds kMaxSize{86'400};

    /// Throws `std::invalid_argument` unless `1s <= size <= kMaxSize`.
    explicit TimeWindow(std::chrono::seconds size);

    void record(const Record& record) override;
    [[nodiscard]] Metric get_metric(TimePoint now) const override;
    void reset() override;

    /// Returns the length of the window.
    [[nodiscard]] std::chrono::seconds size() const noexcept {
        return std::chrono::seconds(static_cast<std::int64_t>(buckets_.size()));
    }

private:
    struct Bucket {
        std::int64_t second;
        Metric metric;
    };

    static constexpr std::int64_t kNoSecond = INT64_MIN;

    [[nodiscard]] Bucket& bucket_for(std::int64_t second) noexcept;
    [[nodiscard]] const Bucket& bucket_for(std::int64_t second) const noexcept;
    void expire_through(std::int64_t second) noexcept;

    std::vector<Bucket> buckets_;
    std::int64_t newest_ = kNoSecond;  // second of the newest bucket that contains data
    Metric total_;                     // sum of the buckets in (newest_ - size, newest_]
};

}  // namespace fluxgate::windows
