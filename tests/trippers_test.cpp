#include <fluxgate/trippers.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "support/expect_throw.hpp"
#include "support/numbers.hpp"
#include "support/records.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::test_support::kInfinity;
using fg::test_support::kNaN;
using namespace fg::trippers;
using fg::test_support::failure_at;
using fg::test_support::success_at;

namespace {


// Returns a metric of `total` calls of which the first `failures` failed.
fg::Metric calls(int total, int failures, fg::Duration duration = 10ms) {
    fg::Metric metric;
    for (int i = 0; i < total; ++i) {
        metric += fg::Metric(i < failures ? failure_at(fg::TimePoint(1s), duration)
                                          : success_at(fg::TimePoint(1s), duration));
    }
    return metric;
}

// Returns a metric of `total` calls of which `slow` reached the 1-second threshold.
fg::Metric slow_calls(int total, int slow) {
    fg::Metric metric;
    for (int i = 0; i < total; ++i) {
        const bool is_slow = i < slow;
        metric += fg::Metric(fg::Record{.success = true,
                                        .duration = is_slow ? 1s : 10ms,
                                        .slow_at = is_slow ? fg::Thresholds{1s} : fg::Thresholds{},
                                        .timestamp = fg::TimePoint(1s)});
    }
    return metric;
}

CallContext context_of(fg::Metric metric, fg::State state = fg::State::closed, std::int64_t streak = 0) {
    return CallContext{metric, state, streak};
}

// A user tripper that counts its evaluations in a counter its copies share,
// because composition copies it.
class CountingTripper final : public Tripper {
public:
    CountingTripper(bool result, std::shared_ptr<int> calls) : result_(result), calls_(std::move(calls)) {}

    [[nodiscard]] bool operator()(const CallContext&) const override {
        ++*calls_;
        return result_;
    }

private:
    bool result_;
    std::shared_ptr<int> calls_;
};

// The user tripper from the design: trips after more than 10 failures in the window.
class ErrorBudget final : public Tripper {
public:
    [[nodiscard]] bool operator()(const CallContext& context) const override {
        return context.metric.failure_count > 10;
    }
};

// A user tripper that wraps another and exposes its leaves, as the
// `collect_leaves` contract asks of wrappers.
class OnlyWhenClosed final : public Tripper {
public:
    template <TripperType T>
    explicit OnlyWhenClosed(T inner) : inner_(std::make_shared<const T>(std::move(inner))) {}

    [[nodiscard]] bool operator()(const CallContext& context) const override {
        return context.state == fg::State::closed && (*inner_)(context);
    }
    void collect_leaves(std::vector<const Tripper*>& out) const override { inner_->collect_leaves(out); }

private:
    std::shared_ptr<const Tripper> inner_;
};

// Returns the `count()` of each leaf that is a MinRequests, and -1 for any other leaf.
std::vector<std::int64_t> min_request_counts(const Tripper& tripper) {
    std::vector<std::int64_t> counts;
    for (const Tripper* leaf : tripper.leaves()) {
        const auto* min_requests = dynamic_cast<const MinRequests*>(leaf);
        counts.push_back(min_requests != nullptr ? min_requests->count() : -1);
    }
    return counts;
}

}  // namespace

TEST(CallContext, FieldsInDocumentedOrder) {
    const CallContext context{calls(2, 1), fg::State::half_open, 4};

    EXPECT_EQ(context.metric.total_count, 2);
    EXPECT_EQ(context.state, fg::State::half_open);
    EXPECT_EQ(context.consecutive_failures, 4);
}

TEST(Closed, TrueOnlyWhileClosed) {
    const Closed tripper;

    for (fg::State state : fg::kAllStates) {
        EXPECT_EQ(tripper(context_of({}, state)), state == fg::State::closed) << state;
    }
}

TEST(HalfOpened, TrueOnlyWhileHalfOpen) {
    const HalfOpened tripper;

    for (fg::State state : fg::kAllStates) {
        EXPECT_EQ(tripper(context_of({}, state)), state == fg::State::half_open) << state;
    }
}

TEST(MinRequests, TrueFromCount) {
    const MinRequests tripper(20);

    EXPECT_FALSE(tripper(context_of(calls(19, 0))));
    EXPECT_TRUE(tripper(context_of(calls(20, 0))));
    EXPECT_TRUE(tripper(context_of(calls(21, 0))));
    EXPECT_EQ(tripper.count(), 20);
}

TEST(MinRequests, FalseOnEmptyWindow) {
    EXPECT_FALSE(MinRequests(1)(context_of({})));
    EXPECT_TRUE(MinRequests(1)(context_of(calls(1, 0))));
}

TEST(MinRequests, RejectsCountBelowOne) {
    FLUXGATE_EXPECT_THROW_MESSAGE(MinRequests(0), std::invalid_argument,
                                  "MinRequests: count must be at least 1, got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(MinRequests(-5), std::invalid_argument,
                                  "MinRequests: count must be at least 1, got -5");
}

TEST(FailureRate, TrueAtAndAboveRatio) {
    const FailureRate tripper(0.5);

    EXPECT_FALSE(tripper(context_of(calls(3, 1))));
    EXPECT_FALSE(tripper(context_of(calls(100, 49))));
    EXPECT_TRUE(tripper(context_of(calls(2, 1))));
    EXPECT_TRUE(tripper(context_of(calls(100, 50))));
    EXPECT_TRUE(tripper(context_of(calls(3, 2))));
    EXPECT_EQ(tripper.ratio(), 0.5);
}

TEST(FailureRate, RatioOneNeedsEveryCallFailed) {
    const FailureRate tripper(1.0);

    EXPECT_FALSE(tripper(context_of(calls(10, 9))));
    EXPECT_TRUE(tripper(context_of(calls(10, 10))));
}

TEST(FailureRate, TinyRatioTripsOnOneFailure) {
    const FailureRate tripper(1e-9);

    EXPECT_FALSE(tripper(context_of(calls(1000, 0))));
    EXPECT_TRUE(tripper(context_of(calls(1000, 1))));
}

TEST(FailureRate, FalseOnEmptyWindow) {
    EXPECT_FALSE(FailureRate(1e-9)(context_of({})));
}

TEST(FailureRate, RejectsRatioOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate(0.0), std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate(-0.25), std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got -0.25");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate(1.5), std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got 1.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate(1.0000000000000002), std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got 1.0000000000000002");
}

TEST(FailureRate, RejectsNaNAndInfinities) {
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate{kNaN}, std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate{kInfinity}, std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got inf");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureRate{-kInfinity}, std::invalid_argument,
                                  "FailureRate: ratio must be in (0, 1], got -inf");
}

TEST(AvgLatency, TrueAtAndAboveThreshold) {
    const AvgLatency tripper(1s);

    EXPECT_FALSE(tripper(context_of(calls(4, 0, 999ms))));
    EXPECT_TRUE(tripper(context_of(calls(4, 0, 1s))));
    EXPECT_TRUE(tripper(context_of(calls(4, 0, 1001ms))));
    EXPECT_EQ(tripper.threshold(), fg::Duration(1s));
}

TEST(AvgLatency, CountsFailedCallDurations) {
    const AvgLatency tripper(1s);
    const fg::Metric metric = fg::Metric(failure_at(fg::TimePoint(1s), 30s)) + calls(9, 0, 10ms);

    EXPECT_TRUE(tripper(context_of(metric)));
}

TEST(AvgLatency, FalseOnEmptyWindow) {
    EXPECT_FALSE(AvgLatency(1ns)(context_of({})));
}

TEST(AvgLatency, RejectsNonPositiveThreshold) {
    FLUXGATE_EXPECT_THROW_MESSAGE(AvgLatency(0s), std::invalid_argument,
                                  "AvgLatency: threshold must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(AvgLatency(-250ms), std::invalid_argument,
                                  "AvgLatency: threshold must be greater than 0, got -250ms");
}

TEST(SlowRate, TrueAtAndAboveRatio) {
    const SlowRate tripper(0.5, 1s);

    EXPECT_FALSE(tripper(context_of(slow_calls(3, 1))));
    EXPECT_TRUE(tripper(context_of(slow_calls(2, 1))));
    EXPECT_TRUE(tripper(context_of(slow_calls(3, 2))));
    EXPECT_EQ(tripper.ratio(), 0.5);
    EXPECT_EQ(tripper.threshold(), fg::Duration(1s));
}

TEST(SlowRate, ReadsOnlyItsOwnThreshold) {
    const SlowRate tripper(0.5, 2s);

    EXPECT_FALSE(tripper(context_of(slow_calls(4, 4))));
}

TEST(SlowRate, FalseOnEmptyWindow) {
    EXPECT_FALSE(SlowRate(1e-9, 1ns)(context_of({})));
}

TEST(SlowRate, RejectsBadRatio) {
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(0.0, 1s), std::invalid_argument,
                                  "SlowRate: ratio must be in (0, 1], got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(2.0, 1s), std::invalid_argument,
                                  "SlowRate: ratio must be in (0, 1], got 2");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(kNaN, 1s), std::invalid_argument,
                                  "SlowRate: ratio must be in (0, 1], got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(kInfinity, 1s), std::invalid_argument,
                                  "SlowRate: ratio must be in (0, 1], got inf");
}

TEST(SlowRate, RejectsNonPositiveThreshold) {
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(0.3, 0s), std::invalid_argument,
                                  "SlowRate: threshold must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(0.3, -2min), std::invalid_argument,
                                  "SlowRate: threshold must be greater than 0, got -2min");
}

TEST(SlowRate, ChecksRatioBeforeThreshold) {
    FLUXGATE_EXPECT_THROW_MESSAGE(SlowRate(-1.0, -1s), std::invalid_argument,
                                  "SlowRate: ratio must be in (0, 1], got -1");
}

TEST(FailureStreak, TrueFromCount) {
    const FailureStreak tripper(3);

    EXPECT_FALSE(tripper(context_of({}, fg::State::closed, 2)));
    EXPECT_TRUE(tripper(context_of({}, fg::State::closed, 3)));
    EXPECT_TRUE(tripper(context_of({}, fg::State::closed, 4)));
    EXPECT_EQ(tripper.count(), 3);
}

TEST(FailureStreak, IgnoresWindow) {
    const FailureStreak tripper(2);

    EXPECT_FALSE(tripper(context_of(calls(50, 50), fg::State::closed, 1)));
    EXPECT_TRUE(tripper(context_of({}, fg::State::half_open, 2)));
}

TEST(FailureStreak, RejectsCountBelowOne) {
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureStreak(0), std::invalid_argument,
                                  "FailureStreak: count must be at least 1, got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(FailureStreak(INT64_MIN), std::invalid_argument,
                                  "FailureStreak: count must be at least 1, got -9223372036854775808");
}

TEST(TripperAnd, TrueWhenBothAre) {
    const auto tripper = MinRequests(4) & FailureRate(0.5);

    EXPECT_FALSE(tripper(context_of(calls(3, 3))));
    EXPECT_FALSE(tripper(context_of(calls(4, 1))));
    EXPECT_TRUE(tripper(context_of(calls(4, 2))));
}

TEST(TripperAnd, SkipsRightWhenLeftIsFalse) {
    auto calls_right = std::make_shared<int>(0);
    const auto tripper = CountingTripper(false, std::make_shared<int>(0)) & CountingTripper(true, calls_right);

    EXPECT_FALSE(tripper(context_of({})));

    EXPECT_EQ(*calls_right, 0);
}

TEST(TripperAnd, EvaluatesRightWhenLeftIsTrue) {
    auto calls_right = std::make_shared<int>(0);
    const auto tripper = CountingTripper(true, std::make_shared<int>(0)) & CountingTripper(false, calls_right);

    EXPECT_FALSE(tripper(context_of({})));

    EXPECT_EQ(*calls_right, 1);
}

TEST(TripperOr, TrueWhenEitherIs) {
    const auto tripper = FailureStreak(3) | FailureRate(0.9);

    EXPECT_FALSE(tripper(context_of(calls(10, 5), fg::State::closed, 2)));
    EXPECT_TRUE(tripper(context_of(calls(10, 5), fg::State::closed, 3)));
    EXPECT_TRUE(tripper(context_of(calls(10, 9), fg::State::closed, 0)));
}

TEST(TripperOr, SkipsRightWhenLeftIsTrue) {
    auto calls_right = std::make_shared<int>(0);
    const auto tripper = CountingTripper(true, std::make_shared<int>(0)) | CountingTripper(false, calls_right);

    EXPECT_TRUE(tripper(context_of({})));

    EXPECT_EQ(*calls_right, 0);
}

TEST(TripperOr, EvaluatesRightWhenLeftIsFalse) {
    auto calls_right = std::make_shared<int>(0);
    const auto tripper = CountingTripper(false, std::make_shared<int>(0)) | CountingTripper(true, calls_right);

    EXPECT_TRUE(tripper(context_of({})));

    EXPECT_EQ(*calls_right, 1);
}

TEST(TripperComposition, DesignExampleRule) {
    const auto tripper = FailureStreak(5) | (MinRequests(20) & (FailureRate(0.5) | SlowRate(0.3, 1s)));

    EXPECT_TRUE(tripper(context_of({}, fg::State::closed, 5)));
    EXPECT_FALSE(tripper(context_of(calls(19, 19), fg::State::closed, 4)));
    EXPECT_TRUE(tripper(context_of(calls(20, 10))));
    EXPECT_FALSE(tripper(context_of(calls(20, 9))));
    EXPECT_TRUE(tripper(context_of(slow_calls(20, 6))));
    EXPECT_FALSE(tripper(context_of(slow_calls(20, 5))));
}

TEST(TripperComposition, HalfOpenRuleWithStateLeaves) {
    // Reopen on any failure while half-open, otherwise trip on the failure rate.
    const auto tripper = (HalfOpened() & FailureStreak(1)) | (Closed() & FailureRate(0.5));

    EXPECT_TRUE(tripper(context_of(calls(10, 1), fg::State::half_open, 1)));
    EXPECT_FALSE(tripper(context_of(calls(10, 1), fg::State::closed, 1)));
    EXPECT_TRUE(tripper(context_of(calls(10, 5), fg::State::closed, 0)));
    EXPECT_FALSE(tripper(context_of(calls(10, 5), fg::State::half_open, 0)));
}

TEST(TripperComposition, UserTripperComposesLikeBuiltIns) {
    const auto tripper = ErrorBudget() | FailureStreak(3);

    EXPECT_FALSE(tripper(context_of(calls(20, 10), fg::State::closed, 2)));
    EXPECT_TRUE(tripper(context_of(calls(20, 11), fg::State::closed, 0)));
    EXPECT_TRUE(tripper(context_of(calls(20, 0), fg::State::closed, 3)));
    EXPECT_EQ(tripper.leaves().size(), 2u);
}

TEST(TripperComposition, ResultIsATripper) {
    const auto composed = MinRequests(2) & (ErrorBudget() | FailureRate(0.5));
    const Tripper& as_tripper = composed;

    EXPECT_TRUE(as_tripper(context_of(calls(2, 1))));
    EXPECT_FALSE(as_tripper(context_of(calls(1, 1))));
}

TEST(TripperLeaves, PlainTripperIsItsOwnLeaf) {
    const FailureRate tripper(0.5);

    const std::vector<const Tripper*> leaves = tripper.leaves();

    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0], &tripper);
}

TEST(TripperLeaves, UserTripperIsItsOwnLeaf) {
    const ErrorBudget tripper;

    const std::vector<const Tripper*> leaves = tripper.leaves();

    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0], &tripper);
}

TEST(TripperLeaves, NestedTreeInLeftToRightOrder) {
    const auto tripper = (MinRequests(1) | MinRequests(2)) & (MinRequests(3) | (MinRequests(4) & MinRequests(5)));

    EXPECT_EQ(min_request_counts(tripper), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
}

TEST(TripperLeaves, LeftDeepAndRightDeepChains) {
    const auto left_deep = ((MinRequests(1) & MinRequests(2)) | MinRequests(3)) & MinRequests(4);
    const auto right_deep = MinRequests(1) | (MinRequests(2) & (MinRequests(3) | MinRequests(4)));

    EXPECT_EQ(min_request_counts(left_deep), (std::vector<std::int64_t>{1, 2, 3, 4}));
    EXPECT_EQ(min_request_counts(right_deep), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST(TripperLeaves, UserLeavesKeepTheirPlace) {
    const auto tripper = MinRequests(1) | (ErrorBudget() & MinRequests(2)) | ErrorBudget();

    const std::vector<const Tripper*> leaves = tripper.leaves();

    ASSERT_EQ(leaves.size(), 4u);
    EXPECT_EQ(min_request_counts(tripper), (std::vector<std::int64_t>{1, -1, 2, -1}));
    EXPECT_NE(dynamic_cast<const ErrorBudget*>(leaves[1]), nullptr);
    EXPECT_NE(dynamic_cast<const ErrorBudget*>(leaves[3]), nullptr);
}

TEST(TripperLeaves, UserWrapperExposesInnerLeaves) {
    const auto tripper = OnlyWhenClosed(MinRequests(1) & MinRequests(2)) | MinRequests(3);

    EXPECT_EQ(min_request_counts(tripper), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(SlowThresholds, EmptyWithoutSlowRate) {
    const auto tripper = MinRequests(5) & FailureRate(0.5);

    EXPECT_TRUE(slow_thresholds(tripper).empty());
}

TEST(SlowThresholds, PlainSlowRate) {
    EXPECT_EQ(slow_thresholds(SlowRate(0.3, 1s)), (fg::Thresholds{1s}));
}

TEST(SlowThresholds, SortedAndDeduplicated) {
    const auto tripper = SlowRate(0.5, 2s) | (MinRequests(3) & (SlowRate(0.1, 500ms) | SlowRate(0.9, 2s))) |
                         SlowRate(0.2, 1s);

    const fg::Thresholds thresholds = slow_thresholds(tripper);

    EXPECT_EQ(thresholds, (fg::Thresholds{500ms, 1s, 2s}));
    EXPECT_EQ(thresholds.size(), 3u);
}

TEST(SlowThresholds, FoundInsideUserWrapper) {
    const auto tripper = OnlyWhenClosed(SlowRate(0.5, 3s) & MinRequests(2)) | ErrorBudget();

    EXPECT_EQ(slow_thresholds(tripper), (fg::Thresholds{3s}));
}

TEST(SlowThresholds, EightDistinctFit) {
    const auto tripper = SlowRate(0.5, 1s) | SlowRate(0.5, 2s) | SlowRate(0.5, 3s) | SlowRate(0.5, 4s) |
                         SlowRate(0.5, 5s) | SlowRate(0.5, 6s) | SlowRate(0.5, 7s) | SlowRate(0.5, 8s) |
                         SlowRate(0.1, 8s);

    EXPECT_EQ(slow_thresholds(tripper).size(), 8u);
}

TEST(SlowThresholds, MoreThanEightThrows) {
    const auto nine = SlowRate(0.5, 1s) | SlowRate(0.5, 2s) | SlowRate(0.5, 3s) | SlowRate(0.5, 4s) |
                      SlowRate(0.5, 5s) | SlowRate(0.5, 6s) | SlowRate(0.5, 7s) | SlowRate(0.5, 8s) |
                      SlowRate(0.5, 9s);
    const auto ten = nine & SlowRate(0.5, 10s);

    FLUXGATE_EXPECT_THROW_MESSAGE((void)slow_thresholds(nine), std::invalid_argument,
                                  "Options: tripper must be a tree with at most 8 distinct SlowRate thresholds, "
                                  "got a tree with 9");
    FLUXGATE_EXPECT_THROW_MESSAGE((void)slow_thresholds(ten), std::invalid_argument,
                                  "Options: tripper must be a tree with at most 8 distinct SlowRate thresholds, "
                                  "got a tree with 10");
}
