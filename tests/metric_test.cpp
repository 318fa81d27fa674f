#include <fluxgate/metric.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "support/expect_throw.hpp"
#include "support/records.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::test_support::failure_at;
using fg::test_support::success_at;

namespace {

// Returns a record that took `duration` and reached the slow thresholds `slow_at`.
fg::Record call(bool success, fg::Duration duration, fg::Thresholds slow_at = {}) {
    return fg::Record{.success = success, .duration = duration, .slow_at = slow_at, .timestamp = fg::TimePoint(1s)};
}

std::vector<fg::Duration> values_of(const fg::Thresholds& thresholds) {
    return {thresholds.begin(), thresholds.end()};
}

// A few metrics of different shapes to check the monoid laws on.
std::vector<fg::Metric> sample_metrics() {
    const fg::Metric slow_failure(call(false, 3s, {1s, 2s}));
    const fg::Metric fast_success(call(true, 10ms));
    const fg::Metric other_threshold(call(true, 700ms, {500ms}));
    return {fg::Metric(), slow_failure, fast_success, other_threshold, slow_failure + fast_success,
            fast_success + other_threshold + slow_failure};
}

}  // namespace

TEST(Thresholds, DefaultIsEmpty) {
    const fg::Thresholds thresholds;

    EXPECT_TRUE(thresholds.empty());
    EXPECT_EQ(thresholds.size(), 0u);
    EXPECT_EQ(thresholds.begin(), thresholds.end());
    EXPECT_FALSE(thresholds.contains(1s));
}

TEST(Thresholds, SortsAndCollapsesDuplicates) {
    const fg::Thresholds thresholds{3s, 1s, 3s, 2s, 1s};

    EXPECT_EQ(thresholds.size(), 3u);
    EXPECT_EQ(values_of(thresholds), (std::vector<fg::Duration>{1s, 2s, 3s}));
    EXPECT_EQ(thresholds[0], fg::Duration(1s));
    EXPECT_EQ(thresholds[2], fg::Duration(3s));
}

TEST(Thresholds, ContainsOnlyInsertedValues) {
    const fg::Thresholds thresholds{100ms, 2s};

    EXPECT_TRUE(thresholds.contains(100ms));
    EXPECT_TRUE(thresholds.contains(2s));
    EXPECT_FALSE(thresholds.contains(1s));
    EXPECT_FALSE(thresholds.contains(100ms + 1ns));
}

TEST(Thresholds, InsertKeepsOrderAndIgnoresDuplicates) {
    fg::Thresholds thresholds;

    thresholds.insert(5s);
    thresholds.insert(1s);
    thresholds.insert(3s);
    thresholds.insert(1s);

    EXPECT_EQ(values_of(thresholds), (std::vector<fg::Duration>{1s, 3s, 5s}));
}

TEST(Thresholds, EqualityComparesValues) {
    EXPECT_EQ((fg::Thresholds{1s, 2s}), (fg::Thresholds{2s, 1s, 2s}));
    EXPECT_NE((fg::Thresholds{1s, 2s}), (fg::Thresholds{1s}));
    EXPECT_NE((fg::Thresholds{1s, 2s}), (fg::Thresholds{1s, 3s}));
    EXPECT_EQ(fg::Thresholds(), fg::Thresholds{});
}

TEST(Thresholds, HoldsEightDistinctValues) {
    fg::Thresholds thresholds{1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s};

    thresholds.insert(4s);

    EXPECT_EQ(thresholds.size(), fg::kMaxSlowThresholds);
}

TEST(Thresholds, NinthDistinctValueThrows) {
    fg::Thresholds thresholds{1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s};

    FLUXGATE_EXPECT_THROW_MESSAGE(thresholds.insert(9s), std::length_error,
                                  "fluxgate: at most 8 distinct slow-call thresholds are supported, got 9");
    EXPECT_EQ(thresholds.size(), 8u);
    EXPECT_FALSE(thresholds.contains(9s));
}

TEST(Thresholds, NineValuesInListThrow) {
    FLUXGATE_EXPECT_THROW_MESSAGE((fg::Thresholds{1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s, 9s}), std::length_error,
                                  "fluxgate: at most 8 distinct slow-call thresholds are supported, got 9");
}

TEST(Metric, StoredInlineWithoutHeap) {
    // Trivially copyable types own no heap memory, so recording a call allocates nothing.
    static_assert(std::is_trivially_copyable_v<fg::Thresholds>);
    static_assert(std::is_trivially_copyable_v<fg::Record>);
    static_assert(std::is_trivially_copyable_v<fg::Metric>);
    static_assert(std::is_nothrow_constructible_v<fg::Metric, const fg::Record&>);
}

TEST(Metric, DefaultIsEmpty) {
    const fg::Metric metric;

    EXPECT_EQ(metric.total_count, 0);
    EXPECT_EQ(metric.failure_count, 0);
    EXPECT_EQ(metric.total_duration, fg::Duration::zero());
    EXPECT_TRUE(metric.thresholds().empty());
    EXPECT_EQ(metric.slow_count(1s), 0);
}

TEST(Metric, RatesAreEmptyOnEmptyMetric) {
    const fg::Metric metric;

    EXPECT_EQ(metric.failure_rate(), std::nullopt);
    EXPECT_EQ(metric.avg_duration(), std::nullopt);
    EXPECT_EQ(metric.slow_rate(1s), std::nullopt);
}

TEST(Metric, RatesAreEmptyAfterRemovingEverything) {
    const fg::Metric one(call(false, 2s, {1s}));

    const fg::Metric none = one - one;

    EXPECT_EQ(none.total_count, 0);
    EXPECT_EQ(none.failure_rate(), std::nullopt);
    EXPECT_EQ(none.avg_duration(), std::nullopt);
    EXPECT_EQ(none.slow_rate(1s), std::nullopt);
}

TEST(Metric, FromSuccessfulRecord) {
    const fg::Metric metric(success_at(fg::TimePoint(3s), 250ms));

    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 0);
    EXPECT_EQ(metric.total_duration, fg::Duration(250ms));
    EXPECT_EQ(metric.failure_rate(), 0.0);
    EXPECT_EQ(metric.avg_duration(), fg::Duration(250ms));
    EXPECT_EQ(metric.slow_rate(100ms), 0.0);
}

TEST(Metric, FromFailedRecordKeepsDuration) {
    const fg::Metric metric(failure_at(fg::TimePoint(3s), 30s));

    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 1);
    EXPECT_EQ(metric.total_duration, fg::Duration(30s));
    EXPECT_EQ(metric.failure_rate(), 1.0);
}

TEST(Metric, FromRecordCountsEachSlowThreshold) {
    const fg::Metric metric(call(true, 2500ms, {1s, 2s}));

    EXPECT_EQ(metric.thresholds(), (fg::Thresholds{1s, 2s}));
    EXPECT_EQ(metric.slow_count(1s), 1);
    EXPECT_EQ(metric.slow_count(2s), 1);
    EXPECT_EQ(metric.slow_count(3s), 0);
    EXPECT_EQ(metric.slow_rate(1s), 1.0);
    EXPECT_EQ(metric.slow_rate(3s), 0.0);
}

TEST(Metric, SumAggregatesCounts) {
    const fg::Metric fast_success(call(true, 100ms, {}));
    const fg::Metric slow_success(call(true, 1500ms, {1s}));
    const fg::Metric very_slow_failure(call(false, 2400ms, {1s, 2s}));
    const fg::Metric fast_failure(call(false, 0ms, {}));

    const fg::Metric sum = fast_success + slow_success + very_slow_failure + fast_failure;

    EXPECT_EQ(sum.total_count, 4);
    EXPECT_EQ(sum.failure_count, 2);
    EXPECT_EQ(sum.total_duration, fg::Duration(4s));
    EXPECT_EQ(sum.slow_count(1s), 2);
    EXPECT_EQ(sum.slow_count(2s), 1);
    EXPECT_EQ(sum.failure_rate(), 0.5);
    EXPECT_EQ(sum.avg_duration(), fg::Duration(1s));
    EXPECT_EQ(sum.slow_rate(1s), 0.5);
    EXPECT_EQ(sum.slow_rate(2s), 0.25);
}

TEST(Metric, CompoundOperatorsMatchBinaryOnes) {
    const fg::Metric a(call(false, 2s, {1s}));
    const fg::Metric b(call(true, 500ms, {}));

    fg::Metric accumulated = a;
    accumulated += b;
    fg::Metric reduced = accumulated;
    reduced -= b;

    EXPECT_EQ(accumulated, a + b);
    EXPECT_EQ(reduced, a);
}

TEST(Metric, EmptyIsIdentity) {
    for (const fg::Metric& metric : sample_metrics()) {
        EXPECT_EQ(metric + fg::Metric(), metric);
        EXPECT_EQ(fg::Metric() + metric, metric);
        EXPECT_EQ(metric - fg::Metric(), metric);
    }
}

TEST(Metric, SumIsAssociativeAndCommutative) {
    const std::vector<fg::Metric> samples = sample_metrics();

    for (const fg::Metric& a : samples) {
        for (const fg::Metric& b : samples) {
            EXPECT_EQ(a + b, b + a);
            for (const fg::Metric& c : samples) {
                EXPECT_EQ((a + b) + c, a + (b + c));
            }
        }
    }
}

TEST(Metric, SubtractionUndoesAddition) {
    const std::vector<fg::Metric> samples = sample_metrics();

    for (const fg::Metric& a : samples) {
        for (const fg::Metric& b : samples) {
            EXPECT_EQ(a + b - b, a);
        }
    }
}

TEST(Metric, DifferingThresholdListsMerge) {
    const fg::Metric a = fg::Metric(call(true, 3s, {1s, 3s})) + fg::Metric(call(true, 1s, {1s}));
    const fg::Metric b(call(false, 2s, {500ms, 2s}));

    const fg::Metric sum = a + b;

    EXPECT_EQ(sum.thresholds(), (fg::Thresholds{500ms, 1s, 2s, 3s}));
    EXPECT_EQ(sum.slow_count(500ms), 1);
    EXPECT_EQ(sum.slow_count(1s), 2);
    EXPECT_EQ(sum.slow_count(2s), 1);
    EXPECT_EQ(sum.slow_count(3s), 1);
    EXPECT_EQ(sum.total_count, 3);
    EXPECT_EQ(sum.failure_count, 1);
}

TEST(Metric, RemovingOtherThresholdsLeavesZeroCounts) {
    const fg::Metric a(call(true, 3s, {1s}));
    const fg::Metric b(call(true, 3s, {2s}));

    const fg::Metric back = a + b - b;

    EXPECT_EQ(back.slow_count(1s), 1);
    EXPECT_EQ(back.slow_count(2s), 0);
    EXPECT_EQ(back, a);
}

TEST(Metric, ZeroCountEqualsAbsentThreshold) {
    const fg::Metric with_zero = fg::Metric(call(true, 3s, {2s})) - fg::Metric(call(true, 3s, {2s}));

    EXPECT_EQ(with_zero, fg::Metric());
    EXPECT_EQ(fg::Metric(), with_zero);
}

TEST(Metric, EqualityComparesEveryField) {
    const fg::Metric base(call(true, 1s, {1s}));

    EXPECT_NE(base, fg::Metric(call(false, 1s, {1s})));
    EXPECT_NE(base, fg::Metric(call(true, 2s, {1s})));
    EXPECT_NE(base, fg::Metric(call(true, 1s, {})));
    EXPECT_NE(base, fg::Metric(call(true, 1s, {2s})));
    EXPECT_NE(base, base + base);
}

TEST(Metric, MergeBeyondEightThresholdsThrows) {
    const fg::Metric a(call(true, 10s, {1s, 2s, 3s, 4s, 5s}));
    const fg::Metric b(call(true, 10s, {4s, 5s, 6s, 7s, 8s, 9s}));

    FLUXGATE_EXPECT_THROW_MESSAGE((void)(a + b), std::length_error,
                                  "fluxgate: at most 8 distinct slow-call thresholds are supported, got 9");
    FLUXGATE_EXPECT_THROW_MESSAGE((void)(a - b), std::length_error,
                                  "fluxgate: at most 8 distinct slow-call thresholds are supported, got 9");
}

TEST(Metric, FailedMergeLeavesMetricUnchanged) {
    const fg::Metric original(call(false, 10s, {1s, 2s, 3s, 4s, 5s}));
    const fg::Metric other(call(true, 10s, {6s, 7s, 8s, 9s}));
    fg::Metric metric = original;

    EXPECT_THROW(metric += other, std::length_error);

    EXPECT_EQ(metric, original);
    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.thresholds(), original.thresholds());
}

TEST(Metric, EightThresholdsAcrossTwoMetricsFit) {
    const fg::Metric a(call(true, 10s, {1s, 2s, 3s, 4s}));
    const fg::Metric b(call(true, 10s, {5s, 6s, 7s, 8s}));

    const fg::Metric sum = a + b;

    EXPECT_EQ(sum.thresholds().size(), 8u);
    EXPECT_EQ(sum.slow_count(8s), 1);
    EXPECT_EQ(sum - b, a);
}
