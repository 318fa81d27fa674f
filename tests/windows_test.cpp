#include <fluxgate/windows.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "support/expect_throw.hpp"
#include "support/records.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::TimePoint;
using fg::test_support::failure_at;
using fg::test_support::success_at;
using fg::windows::CountWindow;
using fg::windows::TimeWindow;

namespace {

std::int64_t second_of(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// TimeWindow's documented rule, by brute force. A record is dropped when its
// second is at least `size` seconds older than the newest second recorded so
// far. A read at t sums the kept records whose seconds lie in
// [floor(t) - size + 1, floor(t)] and inside the window of the newest second.
class ReferenceTimeWindow {
public:
    explicit ReferenceTimeWindow(std::int64_t size) : size_(size) {}

    void record(const fg::Record& record) {
        const std::int64_t second = second_of(record.timestamp);
        if (!records_.empty() && second <= newest_ - size_) {
            return;
        }
        newest_ = records_.empty() ? second : std::max(newest_, second);
        records_.push_back(record);
        // Records that fell out of the newest second's window can never count again.
        std::erase_if(records_, [this](const fg::Record& kept) { return second_of(kept.timestamp) <= newest_ - size_; });
    }

    [[nodiscard]] fg::Metric get_metric(TimePoint now) const {
        const std::int64_t second = second_of(now);
        fg::Metric metric;
        for (const fg::Record& kept : records_) {
            const std::int64_t kept_second = second_of(kept.timestamp);
            if (kept_second > second - size_ && kept_second <= second) {
                metric += fg::Metric(kept);
            }
        }
        return metric;
    }

private:
    std::int64_t size_;
    std::int64_t newest_ = 0;
    std::vector<fg::Record> records_;
};

}  // namespace

TEST(CountWindow, EmptyAtStart) {
    const CountWindow window(5);

    EXPECT_EQ(window.get_metric(TimePoint(0s)), fg::Metric());
    EXPECT_EQ(window.size(), 5);
}

TEST(CountWindow, CountsUpToSizeCalls) {
    CountWindow window(3);

    window.record(failure_at(TimePoint(1s), 2s));
    window.record(success_at(TimePoint(2s), 1s));

    const fg::Metric metric = window.get_metric(TimePoint(2s));
    EXPECT_EQ(metric.total_count, 2);
    EXPECT_EQ(metric.failure_count, 1);
    EXPECT_EQ(metric.total_duration, fg::Duration(3s));
}

TEST(CountWindow, EvictsOldestWhenFull) {
    CountWindow window(3);
    window.record(failure_at(TimePoint(1s), 4s));
    window.record(success_at(TimePoint(2s), 1s));
    window.record(success_at(TimePoint(3s), 1s));

    window.record(success_at(TimePoint(4s), 1s));

    const fg::Metric metric = window.get_metric(TimePoint(4s));
    EXPECT_EQ(metric.total_count, 3);
    EXPECT_EQ(metric.failure_count, 0);
    EXPECT_EQ(metric.total_duration, fg::Duration(3s));
}

TEST(CountWindow, EvictsSlowCounts) {
    CountWindow window(2);
    window.record(fg::Record{.success = true, .duration = 3s, .slow_at = {1s, 2s}, .timestamp = TimePoint(1s)});
    window.record(fg::Record{.success = true, .duration = 1500ms, .slow_at = {1s}, .timestamp = TimePoint(2s)});

    window.record(success_at(TimePoint(3s), 10ms));

    const fg::Metric metric = window.get_metric(TimePoint(3s));
    EXPECT_EQ(metric.slow_count(1s), 1);
    EXPECT_EQ(metric.slow_count(2s), 0);
}

TEST(CountWindow, SizeOneKeepsLastCall) {
    CountWindow window(1);

    window.record(failure_at(TimePoint(1s)));
    window.record(success_at(TimePoint(2s)));

    const fg::Metric metric = window.get_metric(TimePoint(2s));
    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 0);
}

TEST(CountWindow, IgnoresTimeEntirely) {
    CountWindow window(4);
    window.record(failure_at(TimePoint(1s)));
    window.record(failure_at(TimePoint(-50s)));

    const fg::Metric early = window.get_metric(TimePoint(-1000s));
    const fg::Metric late = window.get_metric(TimePoint(std::chrono::hours(24 * 365)));

    EXPECT_EQ(early.failure_count, 2);
    EXPECT_EQ(late, early);
}

TEST(CountWindow, MatchesLastCallsOverManyWraps) {
    constexpr int kSize = 7;
    CountWindow window(kSize);
    std::vector<fg::Record> history;
    std::mt19937_64 random(20241204);

    for (int i = 0; i < 200; ++i) {
        const fg::Duration duration = std::chrono::milliseconds(random() % 3000);
        const fg::Record record{.success = random() % 3 != 0,
                                .duration = duration,
                                .slow_at = duration >= 1s ? fg::Thresholds{1s} : fg::Thresholds{},
                                .timestamp = TimePoint(std::chrono::seconds(i))};
        window.record(record);
        history.push_back(record);

        fg::Metric expected;
        for (std::size_t j = history.size() - std::min<std::size_t>(history.size(), kSize); j < history.size(); ++j) {
            expected += fg::Metric(history[j]);
        }
        ASSERT_EQ(window.get_metric(record.timestamp), expected) << "after record " << i;
    }
}

TEST(CountWindow, ResetForgetsEveryCall) {
    CountWindow window(3);
    window.record(failure_at(TimePoint(1s)));
    window.record(failure_at(TimePoint(2s)));
    window.record(failure_at(TimePoint(3s)));

    window.reset();

    EXPECT_EQ(window.get_metric(TimePoint(3s)), fg::Metric());
}

TEST(CountWindow, FillsAgainAfterReset) {
    CountWindow window(2);
    window.record(failure_at(TimePoint(1s)));
    window.record(failure_at(TimePoint(2s)));
    window.reset();

    window.record(success_at(TimePoint(3s)));
    window.record(success_at(TimePoint(4s)));
    window.record(failure_at(TimePoint(5s)));

    const fg::Metric metric = window.get_metric(TimePoint(5s));
    EXPECT_EQ(metric.total_count, 2);
    EXPECT_EQ(metric.failure_count, 1);
}

TEST(CountWindow, CopiesAreIndependent) {
    CountWindow original(2);
    original.record(failure_at(TimePoint(1s)));

    CountWindow copy = original;
    copy.record(failure_at(TimePoint(2s)));

    EXPECT_EQ(original.get_metric(TimePoint(2s)).total_count, 1);
    EXPECT_EQ(copy.get_metric(TimePoint(2s)).total_count, 2);
}

TEST(CountWindow, UsableThroughWindowInterface) {
    std::unique_ptr<fg::windows::Window> window = std::make_unique<CountWindow>(2);

    window->record(failure_at(TimePoint(1s)));

    EXPECT_EQ(window->get_metric(TimePoint(1s)).failure_count, 1);
}

TEST(CountWindow, AcceptsSizeBounds) {
    EXPECT_EQ(CountWindow(1).size(), 1);
    EXPECT_EQ(CountWindow(CountWindow::kMaxSize).size(), 1'000'000);
}

TEST(CountWindow, RejectsSizeOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(CountWindow(0), std::invalid_argument,
                                  "CountWindow: size must be in [1, 1000000], got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(CountWindow(-3), std::invalid_argument,
                                  "CountWindow: size must be in [1, 1000000], got -3");
    FLUXGATE_EXPECT_THROW_MESSAGE(CountWindow(1'000'001), std::invalid_argument,
                                  "CountWindow: size must be in [1, 1000000], got 1000001");
    FLUXGATE_EXPECT_THROW_MESSAGE(CountWindow(INT64_MIN), std::invalid_argument,
                                  "CountWindow: size must be in [1, 1000000], got -9223372036854775808");
}

TEST(TimeWindow, EmptyAtStart) {
    const TimeWindow window(60s);

    EXPECT_EQ(window.get_metric(TimePoint(0s)), fg::Metric());
    EXPECT_EQ(window.size(), 60s);
}

TEST(TimeWindow, CountsCallsWithinWindow) {
    TimeWindow window(60s);

    window.record(failure_at(TimePoint(1s), 2s));
    window.record(success_at(TimePoint(30s), 1s));
    window.record(success_at(TimePoint(59s), 3s));

    const fg::Metric metric = window.get_metric(TimePoint(59s));
    EXPECT_EQ(metric.total_count, 3);
    EXPECT_EQ(metric.failure_count, 1);
    EXPECT_EQ(metric.total_duration, fg::Duration(6s));
}

TEST(TimeWindow, KeepsSlowCountsPerThreshold) {
    TimeWindow window(10s);

    window.record(fg::Record{.success = true, .duration = 3s, .slow_at = {1s, 2s}, .timestamp = TimePoint(1s)});
    window.record(fg::Record{.success = false, .duration = 1500ms, .slow_at = {1s}, .timestamp = TimePoint(2s)});

    const fg::Metric metric = window.get_metric(TimePoint(2s));
    EXPECT_EQ(metric.slow_count(1s), 2);
    EXPECT_EQ(metric.slow_count(2s), 1);
}

TEST(TimeWindow, RecordsExactlySizeSecondsApart) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(0s)));

    window.record(success_at(TimePoint(60s)));

    const fg::Metric metric = window.get_metric(TimePoint(60s));
    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 0);
}

TEST(TimeWindow, RecordsJustUnderSizeApart) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(0s)));

    window.record(success_at(TimePoint(59s + 999ms)));

    const fg::Metric metric = window.get_metric(TimePoint(59s + 999ms));
    EXPECT_EQ(metric.total_count, 2);
    EXPECT_EQ(metric.failure_count, 1);
}

TEST(TimeWindow, ReadAtWindowEdge) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));

    const fg::Metric before_edge = window.get_metric(TimePoint(69s + 999ms));
    const fg::Metric at_edge = window.get_metric(TimePoint(70s));

    EXPECT_EQ(before_edge.failure_count, 1);
    EXPECT_EQ(at_edge, fg::Metric());
}

TEST(TimeWindow, BucketsAreWholeSeconds) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s + 999ms)));

    const fg::Metric same_second = window.get_metric(TimePoint(10s));
    const fg::Metric last_covering = window.get_metric(TimePoint(69s + 999ms));
    const fg::Metric first_past = window.get_metric(TimePoint(70s));

    EXPECT_EQ(same_second.failure_count, 1);
    EXPECT_EQ(last_covering.failure_count, 1);
    EXPECT_EQ(first_past, fg::Metric());
}

TEST(TimeWindow, ReadExpiresOnlyOldBuckets) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));
    window.record(failure_at(TimePoint(20s)));
    window.record(success_at(TimePoint(30s)));

    const fg::Metric metric = window.get_metric(TimePoint(75s));

    EXPECT_EQ(metric.total_count, 2);
    EXPECT_EQ(metric.failure_count, 1);
}

TEST(TimeWindow, IdleGapOfTenWindowsOnRead) {
    TimeWindow window(60s);
    for (int second = 0; second < 60; ++second) {
        window.record(failure_at(TimePoint(std::chrono::seconds(second))));
    }

    const fg::Metric metric = window.get_metric(TimePoint(600s));

    EXPECT_EQ(metric, fg::Metric());
}

TEST(TimeWindow, IdleGapOfTenWindowsOnRecord) {
    TimeWindow window(60s);
    for (int second = 0; second < 60; ++second) {
        window.record(failure_at(TimePoint(std::chrono::seconds(second))));
    }

    window.record(success_at(TimePoint(600s)));

    const fg::Metric at_record = window.get_metric(TimePoint(600s));
    const fg::Metric later = window.get_metric(TimePoint(630s));
    EXPECT_EQ(at_record.total_count, 1);
    EXPECT_EQ(at_record.failure_count, 0);
    EXPECT_EQ(later.total_count, 1);
}

TEST(TimeWindow, GapLandingOnSameBucketIndex) {
    // 10 seconds and 610 seconds share a bucket slot in a 60-second ring.
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));

    window.record(success_at(TimePoint(610s)));

    const fg::Metric metric = window.get_metric(TimePoint(610s));
    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 0);
}

TEST(TimeWindow, LateRecordLandsInOwnSecond) {
    TimeWindow window(60s);
    window.record(success_at(TimePoint(100s)));

    window.record(failure_at(TimePoint(50s + 500ms)));

    EXPECT_EQ(window.get_metric(TimePoint(100s)).failure_count, 1);
    EXPECT_EQ(window.get_metric(TimePoint(109s)).failure_count, 1);
    EXPECT_EQ(window.get_metric(TimePoint(110s)).failure_count, 0);
    EXPECT_EQ(window.get_metric(TimePoint(110s)).total_count, 1);
}

TEST(TimeWindow, LateRecordJoinsExistingBucket) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(90s)));
    window.record(success_at(TimePoint(100s)));

    window.record(failure_at(TimePoint(90s + 700ms)));

    EXPECT_EQ(window.get_metric(TimePoint(100s)).failure_count, 2);
    EXPECT_EQ(window.get_metric(TimePoint(151s)).total_count, 1);
}

TEST(TimeWindow, LateRecordOutsideWindowDropped) {
    TimeWindow window(60s);
    window.record(success_at(TimePoint(100s)));

    window.record(failure_at(TimePoint(40s + 999ms)));
    window.record(failure_at(TimePoint(-500s)));

    const fg::Metric metric = window.get_metric(TimePoint(100s));
    EXPECT_EQ(metric.total_count, 1);
    EXPECT_EQ(metric.failure_count, 0);
}

TEST(TimeWindow, OldestSecondInsideWindowKept) {
    TimeWindow window(60s);
    window.record(success_at(TimePoint(100s)));

    window.record(failure_at(TimePoint(41s)));

    EXPECT_EQ(window.get_metric(TimePoint(100s)).failure_count, 1);
}

TEST(TimeWindow, LateRecordNeverWipesNewerData) {
    // 40 and 100 seconds share a bucket slot; the late record must not take it over.
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(100s)));
    window.record(failure_at(TimePoint(100s)));

    window.record(success_at(TimePoint(40s)));

    const fg::Metric metric = window.get_metric(TimePoint(100s));
    EXPECT_EQ(metric.total_count, 2);
    EXPECT_EQ(metric.failure_count, 2);
}

TEST(TimeWindow, ReadsWithTimeRunningBackwards) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));
    window.record(failure_at(TimePoint(20s)));
    window.record(failure_at(TimePoint(30s)));

    EXPECT_EQ(window.get_metric(TimePoint(25s)).failure_count, 2);
    EXPECT_EQ(window.get_metric(TimePoint(15s)).failure_count, 1);
    EXPECT_EQ(window.get_metric(TimePoint(5s)).failure_count, 0);
    EXPECT_EQ(window.get_metric(TimePoint(-100s)).failure_count, 0);
}

TEST(TimeWindow, BackwardReadsLeaveWindowUnchanged) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));
    window.record(failure_at(TimePoint(30s)));

    (void)window.get_metric(TimePoint(-100s));
    (void)window.get_metric(TimePoint(15s));

    EXPECT_EQ(window.get_metric(TimePoint(30s)).failure_count, 2);
}

TEST(TimeWindow, BackwardReadSkipsExpiredSeconds) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));
    window.record(success_at(TimePoint(100s)));

    const fg::Metric metric = window.get_metric(TimePoint(50s));

    EXPECT_EQ(metric, fg::Metric());
}

TEST(TimeWindow, NegativeTimePoints) {
    TimeWindow window(10s);
    window.record(failure_at(TimePoint(-5500ms)));
    window.record(failure_at(TimePoint(-500ms)));
    window.record(success_at(TimePoint(500ms)));

    const fg::Metric all = window.get_metric(TimePoint(500ms));
    const fg::Metric later = window.get_metric(TimePoint(5s));

    EXPECT_EQ(all.total_count, 3);
    EXPECT_EQ(all.failure_count, 2);
    EXPECT_EQ(later.total_count, 2);
    EXPECT_EQ(later.failure_count, 1);
}

TEST(TimeWindow, SizeOneKeepsCurrentSecond) {
    TimeWindow window(1s);
    window.record(failure_at(TimePoint(7s)));
    window.record(failure_at(TimePoint(7s + 900ms)));

    EXPECT_EQ(window.get_metric(TimePoint(7s + 999ms)).failure_count, 2);
    EXPECT_EQ(window.get_metric(TimePoint(8s)), fg::Metric());
}

TEST(TimeWindow, ResetForgetsEveryCall) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(10s)));
    window.record(failure_at(TimePoint(20s)));

    window.reset();

    EXPECT_EQ(window.get_metric(TimePoint(20s)), fg::Metric());
}

TEST(TimeWindow, ResetForgetsNewestSecond) {
    TimeWindow window(60s);
    window.record(failure_at(TimePoint(1000s)));
    window.reset();

    window.record(failure_at(TimePoint(10s)));

    EXPECT_EQ(window.get_metric(TimePoint(10s)).failure_count, 1);
}

TEST(TimeWindow, CopiesAreIndependent) {
    TimeWindow original(60s);
    original.record(failure_at(TimePoint(1s)));

    TimeWindow copy = original;
    copy.record(failure_at(TimePoint(2s)));

    EXPECT_EQ(original.get_metric(TimePoint(2s)).total_count, 1);
    EXPECT_EQ(copy.get_metric(TimePoint(2s)).total_count, 2);
}

TEST(TimeWindow, MatchesReferenceOnRandomTimeline) {
    constexpr std::int64_t kSize = 5;
    TimeWindow window{std::chrono::seconds(kSize)};
    ReferenceTimeWindow reference(kSize);
    std::mt19937_64 random(7);
    fg::Duration now = -30s;

    for (int step = 0; step < 4000; ++step) {
        const std::uint64_t kind = random() % 100;
        if (kind < 55) {
            now += std::chrono::milliseconds(random() % 1500);
        } else if (kind < 57) {
            now += std::chrono::seconds(kSize * 10);
        }

        fg::Duration timestamp = now;
        if (kind >= 57 && kind < 75) {
            // A late record, from up to twice the window before the newest.
            timestamp -= std::chrono::milliseconds(random() % (2'000 * kSize));
        }
        const fg::Duration duration = std::chrono::milliseconds(random() % 2000);
        const fg::Record record{.success = random() % 2 == 0,
                                .duration = duration,
                                .slow_at = duration >= 1s ? fg::Thresholds{1s} : fg::Thresholds{},
                                .timestamp = TimePoint(timestamp)};
        window.record(record);
        reference.record(record);

        // Reads up to three windows before or after the current time.
        const auto offset = static_cast<std::int64_t>(random() % (6'000 * kSize)) - 3'000 * kSize;
        const TimePoint read_at = TimePoint(now + std::chrono::milliseconds(offset));
        ASSERT_EQ(window.get_metric(read_at), reference.get_metric(read_at))
            << "step " << step << ", read at " << read_at.time_since_epoch().count() << "ns";
        ASSERT_EQ(window.get_metric(TimePoint(now)), reference.get_metric(TimePoint(now))) << "step " << step;
    }
}

TEST(TimeWindow, AcceptsSizeBounds) {
    EXPECT_EQ(TimeWindow(1s).size(), 1s);
    EXPECT_EQ(TimeWindow(TimeWindow::kMaxSize).size(), std::chrono::hours(24));
}

TEST(TimeWindow, RejectsSizeOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(TimeWindow(0s), std::invalid_argument,
                                  "TimeWindow: size must be in [1s, 24h], got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(TimeWindow(-5s), std::invalid_argument,
                                  "TimeWindow: size must be in [1s, 24h], got -5s");
    FLUXGATE_EXPECT_THROW_MESSAGE(TimeWindow(86'401s), std::invalid_argument,
                                  "TimeWindow: size must be in [1s, 24h], got 86401s");
    FLUXGATE_EXPECT_THROW_MESSAGE(TimeWindow(std::chrono::hours(48)), std::invalid_argument,
                                  "TimeWindow: size must be in [1s, 24h], got 48h");
}
