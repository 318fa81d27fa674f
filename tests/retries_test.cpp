#include <fluxgate/retries.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "support/expect_throw.hpp"
#include "support/numbers.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::test_support::kInfinity;
using fg::test_support::kNaN;
using fg::Duration;
using fg::TimePoint;
using fg::retries::Always;
using fg::retries::Backoff;
using fg::retries::Cooldown;
using fg::retries::Never;
using fg::retries::Retry;

namespace {

constexpr std::uint64_t kSeed = 20241204;

// Start of the i-th simulated OPEN period: an hour apart, with an odd
// nanosecond offset so that periods do not share round timestamps.
TimePoint period_start(int i) {
    return TimePoint(std::chrono::hours(i) + std::chrono::nanoseconds(i * 7'919));
}

// Returns the first time after `changed_at`, in steps of `step` up to
// `limit`, at which `retry` allows a probe, as a real breaker would see it
// when calls keep arriving. Fails the test if a later call is rejected again.
std::optional<Duration> first_probe(const Retry& retry, TimePoint changed_at, int reopens, Duration step,
                                    Duration limit) {
    std::optional<Duration> first;
    for (Duration elapsed = Duration::zero(); elapsed <= limit; elapsed += step) {
        const bool allowed = retry(changed_at, reopens, changed_at + elapsed);
        if (allowed && !first) {
            first = elapsed;
        }
        if (!allowed && first) {
            ADD_FAILURE() << "rejected at " << elapsed.count() << "ns after allowing at " << first->count() << "ns";
        }
    }
    return first;
}

// Checks that the first probe of many OPEN periods is spread evenly over
// [low, high], so that each of 10 equal bins gets its share within loose bounds.
void expect_first_probes_uniform(const Retry& retry, int reopens, Duration low, Duration high) {
    constexpr int kPeriods = 2000;
    constexpr int kBins = 10;
    const Duration step = (high - low) / 200;
    std::array<int, kBins> bins{};

    for (int i = 0; i < kPeriods; ++i) {
        const std::optional<Duration> probe = first_probe(retry, period_start(i), reopens, step, high + step);
        ASSERT_TRUE(probe.has_value()) << "period " << i << " never allowed a probe";
        ASSERT_GE(*probe, low) << "period " << i;
        ASSERT_LE(*probe, high + step) << "period " << i;
        const auto bin = static_cast<std::size_t>((*probe - low) * kBins / (high - low + step));
        ++bins[bin];
    }

    // 200 expected per bin with a standard deviation of about 13; a draw that
    // bunched at the shortest wait would put most periods in bin 0.
    for (int bin = 0; bin < kBins; ++bin) {
        EXPECT_GE(bins[static_cast<std::size_t>(bin)], 130) << "bin " << bin;
        EXPECT_LE(bins[static_cast<std::size_t>(bin)], 270) << "bin " << bin;
    }
}

// Checks, for 50 OPEN periods, that repeated calls see one jittered wait:
// `retry` rejects until exactly that wait has passed and allows from then on.
template <class JitteredRetry>
void expect_wait_fixed_within_period(const JitteredRetry& retry, int reopens) {
    for (int i = 0; i < 50; ++i) {
        const TimePoint changed_at = period_start(i);
        const Duration wait = retry.wait_for(changed_at, reopens);

        for (int call = 0; call < 5; ++call) {
            EXPECT_EQ(retry.wait_for(changed_at, reopens), wait) << "period " << i;
            EXPECT_FALSE(retry(changed_at, reopens, changed_at + wait - 1ns)) << "period " << i;
            EXPECT_TRUE(retry(changed_at, reopens, changed_at + wait)) << "period " << i;
        }
    }
}

}  // namespace

TEST(Always, AllowsEveryCall) {
    const Always retry;

    EXPECT_TRUE(retry(TimePoint(10s), 0, TimePoint(10s)));
    EXPECT_TRUE(retry(TimePoint(10s), INT_MAX, TimePoint(10s)));
    EXPECT_TRUE(retry(TimePoint(10s), -1, TimePoint(0s)));
}

TEST(Never, RejectsEveryCall) {
    const Never retry;

    EXPECT_FALSE(retry(TimePoint(0s), 0, TimePoint(0s)));
    EXPECT_FALSE(retry(TimePoint(0s), 5, TimePoint(std::chrono::hours(24 * 365 * 100))));
}

TEST(Cooldown, AllowsOnceWaitHasPassed) {
    const Cooldown retry(60s);

    EXPECT_FALSE(retry(TimePoint(100s), 0, TimePoint(100s)));
    EXPECT_FALSE(retry(TimePoint(100s), 0, TimePoint(160s) - 1ns));
    EXPECT_TRUE(retry(TimePoint(100s), 0, TimePoint(160s)));
    EXPECT_TRUE(retry(TimePoint(100s), 0, TimePoint(1000s)));
}

TEST(Cooldown, IgnoresReopens) {
    const Cooldown retry(60s);

    for (int reopens : {0, 1, 10, INT_MAX, -3}) {
        EXPECT_FALSE(retry(TimePoint(0s), reopens, TimePoint(59s))) << reopens;
        EXPECT_TRUE(retry(TimePoint(0s), reopens, TimePoint(60s))) << reopens;
        EXPECT_EQ(retry.wait_for(TimePoint(0s), reopens), Duration(60s)) << reopens;
    }
}

TEST(Cooldown, RejectsWhenTimeRunsBackwards) {
    const Cooldown retry(1s);

    EXPECT_FALSE(retry(TimePoint(100s), 0, TimePoint(50s)));
}

TEST(Cooldown, ExposesParameters) {
    const Cooldown retry(45s, 0.25, kSeed);

    EXPECT_EQ(retry.wait(), Duration(45s));
    EXPECT_EQ(retry.jitter(), 0.25);
}

TEST(Cooldown, JitterSpreadsFirstProbeEvenly) {
    const Cooldown retry(10s, 0.5, kSeed);

    expect_first_probes_uniform(retry, 0, 5s, 15s);
}

TEST(Cooldown, JitterFixedWithinOnePeriod) {
    const Cooldown retry(10s, 0.5, kSeed);

    expect_wait_fixed_within_period(retry, 0);
}

TEST(Cooldown, SameSeedSameSchedule) {
    const Cooldown first(10s, 0.5, kSeed);
    const Cooldown second(10s, 0.5, kSeed);
    const Cooldown other_seed(10s, 0.5, kSeed + 1);
    int differing = 0;

    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(first.wait_for(period_start(i), 0), second.wait_for(period_start(i), 0));
        differing += first.wait_for(period_start(i), 0) != other_seed.wait_for(period_start(i), 0) ? 1 : 0;
    }

    EXPECT_GE(differing, 95);
}

TEST(Cooldown, JitterNeverMakesWaitNegative) {
    const Cooldown retry(1ms, 0.999, kSeed);

    for (int i = 0; i < 2000; ++i) {
        const Duration wait = retry.wait_for(period_start(i), i % 7);

        EXPECT_GT(wait, Duration::zero()) << "period " << i;
        EXPECT_GE(wait, Duration(1ns)) << "period " << i;
        EXPECT_LE(wait, 2ms) << "period " << i;
        EXPECT_FALSE(retry(period_start(i), i % 7, period_start(i))) << "period " << i;
    }
}

TEST(Cooldown, HugeWaitWithJitterSaturates) {
    const Cooldown retry(Duration::max(), 0.9, kSeed);

    for (int i = 0; i < 100; ++i) {
        const Duration wait = retry.wait_for(TimePoint(0s), i);

        EXPECT_GE(wait, Duration(static_cast<Duration::rep>(0.1 * static_cast<double>(Duration::max().count()))));
        // The shortest jittered wait, 0.1 * Duration::max(), is about 29 years.
        EXPECT_FALSE(retry(TimePoint(0s), i, TimePoint(std::chrono::hours(24 * 365 * 10))));
    }
}

TEST(Cooldown, RejectsNonPositiveWait) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(0s), std::invalid_argument,
                                  "Cooldown: wait must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(-90s), std::invalid_argument,
                                  "Cooldown: wait must be greater than 0, got -90s");
}

TEST(Cooldown, RejectsJitterOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(1s, -0.1), std::invalid_argument,
                                  "Cooldown: jitter must be in [0, 1), got -0.1");
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(1s, 1.0), std::invalid_argument,
                                  "Cooldown: jitter must be in [0, 1), got 1");
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(1s, kNaN), std::invalid_argument,
                                  "Cooldown: jitter must be in [0, 1), got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(1s, kInfinity), std::invalid_argument,
                                  "Cooldown: jitter must be in [0, 1), got inf");
    FLUXGATE_EXPECT_THROW_MESSAGE(Cooldown(1s, -kInfinity), std::invalid_argument,
                                  "Cooldown: jitter must be in [0, 1), got -inf");
}

TEST(Cooldown, AcceptsJitterJustBelowOne) {
    const Cooldown retry(1s, 0.9999999);

    EXPECT_EQ(retry.jitter(), 0.9999999);
}

TEST(Backoff, DefaultParameters) {
    const Backoff retry(10s);

    EXPECT_EQ(retry.initial(), Duration(10s));
    EXPECT_EQ(retry.multiplier(), 2.0);
    EXPECT_EQ(retry.max(), Duration(300s));
    EXPECT_EQ(retry.jitter(), 0.0);
}

TEST(Backoff, WaitGrowsUntilMax) {
    const Backoff retry(10s, 2.0, 600s);
    const Duration expected[] = {10s, 20s, 40s, 80s, 160s, 320s, 600s, 600s, 600s};

    for (int reopens = 0; reopens < 9; ++reopens) {
        EXPECT_EQ(retry.base_wait(reopens), expected[reopens]) << "reopens " << reopens;
        EXPECT_EQ(retry.wait_for(TimePoint(0s), reopens), expected[reopens]) << "reopens " << reopens;
    }
}

TEST(Backoff, FractionalMultiplier) {
    const Backoff retry(10s, 1.5, 300s);

    EXPECT_EQ(retry.base_wait(1), Duration(15s));
    EXPECT_EQ(retry.base_wait(3), Duration(33750ms));
}

TEST(Backoff, AllowsAtEachWait) {
    const Backoff retry(10s, 3.0, 600s);
    const TimePoint changed_at(1000s);

    EXPECT_FALSE(retry(changed_at, 0, changed_at + 10s - 1ns));
    EXPECT_TRUE(retry(changed_at, 0, changed_at + 10s));
    EXPECT_FALSE(retry(changed_at, 2, changed_at + 90s - 1ns));
    EXPECT_TRUE(retry(changed_at, 2, changed_at + 90s));
    EXPECT_FALSE(retry(changed_at, 4, changed_at + 600s - 1ns));
    EXPECT_TRUE(retry(changed_at, 4, changed_at + 600s));
}

TEST(Backoff, MaxEqualToInitialNeverGrows) {
    const Backoff retry(30s, 2.0, 30s);

    EXPECT_EQ(retry.base_wait(0), Duration(30s));
    EXPECT_EQ(retry.base_wait(1), Duration(30s));
    EXPECT_EQ(retry.base_wait(INT_MAX), Duration(30s));
}

TEST(Backoff, NegativeReopensWaitInitial) {
    const Backoff retry(10s, 2.0, 600s);

    EXPECT_EQ(retry.base_wait(-1), Duration(10s));
    EXPECT_EQ(retry.base_wait(INT_MIN), Duration(10s));
    EXPECT_TRUE(retry(TimePoint(0s), -5, TimePoint(10s)));
    EXPECT_FALSE(retry(TimePoint(0s), -5, TimePoint(10s) - 1ns));
}

TEST(Backoff, HugeReopensStayWithinBounds) {
    const Backoff retries[] = {
        Backoff(10s, 2.0, 600s),
        Backoff(1ns, 2.0, Duration::max()),
        Backoff(1ns, 1.0000001, Duration::max()),
        Backoff(3ns, 1e300, Duration::max()),
        Backoff(1s, 10.0, std::chrono::hours(24 * 365)),
    };

    for (const Backoff& retry : retries) {
        Duration previous = retry.base_wait(0);
        for (int reopens = 1; reopens <= 1'000'000; ++reopens) {
            const Duration wait = retry.base_wait(reopens);
            ASSERT_GE(wait, previous) << "reopens " << reopens << ", multiplier " << retry.multiplier();
            ASSERT_LE(wait, retry.max()) << "reopens " << reopens << ", multiplier " << retry.multiplier();
            previous = wait;
        }
        EXPECT_EQ(retry.base_wait(INT_MAX), retry.max()) << "multiplier " << retry.multiplier();
        EXPECT_GE(retry.base_wait(INT_MAX), retry.initial()) << "multiplier " << retry.multiplier();
    }
}

TEST(Backoff, HugeReopensWithJitterNeverOverflow) {
    // From 63 reopens on, 2^reopens ns reaches the cap of Duration::max().
    const Backoff retry(1ns, 2.0, Duration::max(), 0.5, kSeed);

    for (int reopens : {63, 64, 1'000, 1'000'000, INT_MAX}) {
        const Duration wait = retry.wait_for(TimePoint(0s), reopens);

        EXPECT_GE(wait, Duration(static_cast<Duration::rep>(0.5 * static_cast<double>(Duration::max().count()))))
            << "reopens " << reopens;
        EXPECT_FALSE(retry(TimePoint(0s), reopens, TimePoint(std::chrono::hours(24 * 365 * 100))))
            << "reopens " << reopens;
    }
}

TEST(Backoff, JitterAppliesAfterCap) {
    const Backoff retry(10s, 2.0, 60s, 0.5, kSeed);

    for (int i = 0; i < 200; ++i) {
        const Duration wait = retry.wait_for(period_start(i), 1'000'000);

        EXPECT_GE(wait, Duration(30s)) << "period " << i;
        EXPECT_LE(wait, Duration(90s)) << "period " << i;
    }
}

TEST(Backoff, JitterSpreadsFirstProbeEvenly) {
    const Backoff retry(10s, 2.0, 600s, 0.5, kSeed);

    expect_first_probes_uniform(retry, 2, 20s, 60s);
}

TEST(Backoff, JitterFixedWithinOnePeriod) {
    const Backoff retry(10s, 2.0, 600s, 0.3, kSeed);

    expect_wait_fixed_within_period(retry, 3);
}

TEST(Backoff, JitterNeverMakesWaitNegative) {
    const Backoff retry(1ns, 2.0, 1ms, 0.999, kSeed);

    for (int i = 0; i < 2000; ++i) {
        const Duration wait = retry.wait_for(period_start(i), i % 30);

        EXPECT_GE(wait, Duration::zero()) << "period " << i;
        EXPECT_LE(wait, 2ms) << "period " << i;
    }
}

TEST(Backoff, RejectsNonPositiveInitial) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(0s), std::invalid_argument,
                                  "Backoff: initial must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(-1500ms), std::invalid_argument,
                                  "Backoff: initial must be greater than 0, got -1500ms");
}

TEST(Backoff, RejectsMultiplierNotAboveOne) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 1.0), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got 1");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 0.5), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got 0.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, -2.0), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got -2");
}

TEST(Backoff, RejectsNonFiniteMultiplier) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, kNaN), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, kInfinity), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got inf");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, -kInfinity), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got -inf");
}

TEST(Backoff, RejectsMaxBelowInitial) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(10s, 2.0, 5s), std::invalid_argument,
                                  "Backoff: max must be at least initial (10s), got 5s");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1min, 2.0, 59999ms), std::invalid_argument,
                                  "Backoff: max must be at least initial (1min), got 59999ms");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(10s, 2.0, -1s), std::invalid_argument,
                                  "Backoff: max must be at least initial (10s), got -1s");
}

TEST(Backoff, RejectsJitterOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 2.0, 10s, 1.0), std::invalid_argument,
                                  "Backoff: jitter must be in [0, 1), got 1");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 2.0, 10s, -0.5), std::invalid_argument,
                                  "Backoff: jitter must be in [0, 1), got -0.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 2.0, 10s, kNaN), std::invalid_argument,
                                  "Backoff: jitter must be in [0, 1), got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 2.0, 10s, kInfinity), std::invalid_argument,
                                  "Backoff: jitter must be in [0, 1), got inf");
}

TEST(Backoff, ChecksParametersInOrder) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(0s, 0.5, -1s, 2.0), std::invalid_argument,
                                  "Backoff: initial must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 0.5, -1s, 2.0), std::invalid_argument,
                                  "Backoff: multiplier must be finite and greater than 1, got 0.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(Backoff(1s, 2.0, -1s, 2.0), std::invalid_argument,
                                  "Backoff: max must be at least initial (1s), got -1s");
}
