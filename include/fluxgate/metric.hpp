#pragma once

/// @file
/// `Record`, one finished call, and `Metric`, the aggregate a window returns.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include <fluxgate/clock.hpp>

namespace fluxgate {

/// Maximum number of distinct slow-call thresholds one breaker can track.
inline constexpr std::size_t kMaxSlowThresholds = 8;

/// A sorted set of at most `kMaxSlowThresholds` distinct durations, stored
/// inline so that records and metrics never allocate.
class Thresholds {
public:
    /// Iterates over the durations in ascending order.
    using const_iterator = const Duration*;

    constexpr Thresholds() noexcept = default;

    /// Builds the set from any number of durations; duplicates collapse.
    /// Throws `std::length_error` if more than `kMaxSlowThresholds` distinct values remain.
    Thresholds(std::initializer_list<Duration> values);

    /// Adds `d` unless it is already present.
    /// Throws `std::length_error` if the set is full and `d` is new.
    void insert(Duration d);

    /// Returns true if `d` is in the set.
    [[nodiscard]] constexpr bool contains(Duration d) const noexcept {
        return std::binary_search(begin(), end(), d);
    }
    /// Returns the number of durations in the set.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    /// Returns true if the set contains no duration.
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    /// Returns an iterator to the shortest duration.
    [[nodiscard]] constexpr const_iterator begin() const noexcept { return values_.data(); }
    /// Returns the iterator past the longest duration.
    [[nodiscard]] constexpr const_iterator end() const noexcept { return values_.data() + size_; }
    /// Returns the `i`-th shortest duration. `i` must be less than `size()`.
    [[nodiscard]] constexpr Duration operator[](std::size_t i) const noexcept { return values_[i]; }

    /// Equal when both sets hold the same durations.
    friend constexpr bool operator==(const Thresholds& a, const Thresholds& b) noexcept {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    std::array<Duration, kMaxSlowThresholds> values_{};
    std::uint8_t size_ = 0;
};

/// One finished call.
struct Record {
    /// True for a success, false for a failure.
    bool success = true;
    Duration duration{};   ///< Measured duration, for failures too.
    Thresholds slow_at{};  ///< The slow-call thresholds that `duration` reached (`duration >= threshold`).
    TimePoint timestamp{}; ///< Monotonic time at which the call finished.
};

/// Aggregated outcomes of a set of calls.
///
/// `Metric` is an additive monoid: the default value is empty, `Metric(record)`
/// contains one call, and `+` / `-` add and remove sets of calls. Windows keep a
/// running `Metric` by adding new records and subtracting evicted ones.
/// Slow counts are kept per threshold, inline, for at most `kMaxSlowThresholds`
/// distinct thresholds.
class Metric {
public:
    /// Number of calls.
    std::int64_t total_count = 0;
    /// Number of failed calls.
    std::int64_t failure_count = 0;
    /// Sum of the durations of all calls, failed ones included.
    Duration total_duration{};

    constexpr Metric() noexcept = default;

    /// Creates the metric of a single call.
    explicit Metric(const Record& record) noexcept;

    /// Returns how many calls reached `threshold`; 0 for a threshold never recorded.
    [[nodiscard]] std::int64_t slow_count(Duration threshold) const noexcept;

    /// Returns the thresholds this metric has slow counts for.
    [[nodiscard]] const Thresholds& thresholds() const noexcept { return thresholds_; }

    /// Returns `failure_count / total_count`, or nothing when empty.
    [[nodiscard]] std::optional<double> failure_rate() const noexcept;

    /// Returns `total_duration / total_count`, or nothing when empty.
    [[nodiscard]] std::optional<Duration> avg_duration() const noexcept;

    /// Returns `slow_count(threshold) / total_count`, or nothing when empty.
    [[nodiscard]] std::optional<double> slow_rate(Duration threshold) const noexcept;

    /// Adds the calls of `other`.
    /// Throws `std::length_error` if the two metrics together track more than
    /// `kMaxSlowThresholds` thresholds (never for metrics of one breaker), and
    /// then leaves this metric unchanged.
    Metric& operator+=(const Metric& other);

    /// Removes the calls of `other`, which must have been added before.
    /// Throws like `operator+=`.
    Metric& operator-=(const Metric& other);

    /// Adds one call; the same as `*this += Metric(record)`, without building
    /// a metric when the call reached no slow-call threshold.
    Metric& operator+=(const Record& record) {
        if (!record.slow_at.empty()) {
            return *this += Metric(record);
        }
        total_count += 1;
        failure_count += record.success ? 0 : 1;
        total_duration += record.duration;
        return *this;
    }

    /// Removes one call that was added before; the same as `*this -= Metric(record)`.
    Metric& operator-=(const Record& record) {
        if (!record.slow_at.empty()) {
            return *this -= Metric(record);
        }
        total_count -= 1;
        failure_count -= record.success ? 0 : 1;
        total_duration -= record.duration;
        return *this;
    }

    /// Returns the calls of `a` and `b` together. Throws as `operator+=` does.
    [[nodiscard]] friend Metric operator+(Metric a, const Metric& b) { return a += b; }
    /// Returns the calls of `a` without those of `b`, which must be part of `a`.
    [[nodiscard]] friend Metric operator-(Metric a, const Metric& b) { return a -= b; }

    /// Equal when the counts, the total duration and every slow count match;
    /// a threshold with a zero count equals an absent one.
    friend bool operator==(const Metric& a, const Metric& b) noexcept;

private:
    template <int Sign>
    void combine(const Metric& other);
    template <int Sign>
    void merge_slow_counts(const Metric& other);

    Thresholds thresholds_;
    std::array<std::int64_t, kMaxSlowThresholds> slow_counts_{};
};

}  // namespace fluxgate
