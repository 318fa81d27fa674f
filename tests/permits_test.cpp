#include <fluxgate/permits.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/expect_throw.hpp"
#include "support/numbers.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::test_support::kInfinity;
using fg::test_support::kNaN;
using fg::TimePoint;
using fg::permits::Permit;
using fg::permits::RampUp;
using fg::permits::Random;

namespace {

constexpr std::uint64_t kSeed = 20241204;
constexpr int kDraws = 10'000;

// Returns how many of `draws` calls at `now` the permit admits.
int count_admitted(const Permit& permit, TimePoint changed_at, TimePoint now, int draws = kDraws) {
    int admitted = 0;
    for (int i = 0; i < draws; ++i) {
        admitted += permit(changed_at, now) ? 1 : 0;
    }
    return admitted;
}

std::vector<bool> decisions(const Permit& permit, int draws) {
    std::vector<bool> result;
    for (int i = 0; i < draws; ++i) {
        result.push_back(permit(TimePoint(0s), TimePoint(1s)));
    }
    return result;
}

// Draws from `permit` in `threads` threads at once and returns the total admitted.
int count_admitted_concurrently(const Permit& permit, TimePoint changed_at, TimePoint now, int threads,
                                int draws_per_thread) {
    std::atomic<int> admitted{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] { admitted += count_admitted(permit, changed_at, now, draws_per_thread); });
    }
    for (std::thread& worker : workers) {
        worker.join();
    }
    return admitted.load();
}

}  // namespace

TEST(AllPermit, AdmitsEveryCall) {
    const fg::permits::All permit;

    EXPECT_EQ(count_admitted(permit, TimePoint(0s), TimePoint(0s), 100), 100);
    EXPECT_TRUE(permit(TimePoint(10s), TimePoint(-10s)));
}

TEST(Random, RatioZeroAdmitsNothing) {
    const Random permit(0.0, kSeed);

    EXPECT_EQ(count_admitted(permit, TimePoint(0s), TimePoint(1s)), 0);
    EXPECT_EQ(permit.ratio(), 0.0);
}

TEST(Random, RatioOneAdmitsEverything) {
    const Random permit(1.0, kSeed);

    EXPECT_EQ(count_admitted(permit, TimePoint(0s), TimePoint(1s)), kDraws);
}

TEST(Random, RatioWithinStatisticalBounds) {
    const Random permit(0.3, kSeed);

    const int admitted = count_admitted(permit, TimePoint(0s), TimePoint(1s));

    // 3000 expected, standard deviation about 46.
    EXPECT_GE(admitted, 2800);
    EXPECT_LE(admitted, 3200);
}

TEST(Random, IgnoresTime) {
    const Random permit(0.5, kSeed);
    const Random same_seed(0.5, kSeed);

    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(permit(TimePoint(0s), TimePoint(0s)),
                  same_seed(TimePoint(std::chrono::seconds(i)), TimePoint(std::chrono::hours(i))));
    }
}

TEST(Random, SameSeedSameSequence) {
    const Random first(0.5, kSeed);
    const Random second(0.5, kSeed);

    EXPECT_EQ(decisions(first, 1000), decisions(second, 1000));
}

TEST(Random, OtherSeedOtherSequence) {
    const Random first(0.5, kSeed);
    const Random second(0.5, kSeed + 1);

    EXPECT_NE(decisions(first, 1000), decisions(second, 1000));
}

TEST(Random, CopiesShareOneSource) {
    const Random original(0.5, kSeed);
    const Random copy = original;
    const Random reference(0.5, kSeed);

    std::vector<bool> interleaved;
    for (int i = 0; i < 500; ++i) {
        interleaved.push_back(original(TimePoint(0s), TimePoint(1s)));
        interleaved.push_back(copy(TimePoint(0s), TimePoint(1s)));
    }

    EXPECT_EQ(interleaved, decisions(reference, 1000));
}

TEST(Random, SafeFromSeveralThreads) {
    const Random permit(0.3, kSeed);

    const int admitted = count_admitted_concurrently(permit, TimePoint(0s), TimePoint(1s), 4, 5'000);

    // 6000 expected, standard deviation about 65.
    EXPECT_GE(admitted, 5700);
    EXPECT_LE(admitted, 6300);
}

TEST(Random, ExtremeRatiosExactFromSeveralThreads) {
    const Random never(0.0, kSeed);
    const Random always(1.0, kSeed);

    EXPECT_EQ(count_admitted_concurrently(never, TimePoint(0s), TimePoint(1s), 4, 2'000), 0);
    EXPECT_EQ(count_admitted_concurrently(always, TimePoint(0s), TimePoint(1s), 4, 2'000), 8'000);
}

TEST(Random, RejectsRatioOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Random(-0.1), std::invalid_argument, "Random: ratio must be in [0, 1], got -0.1");
    FLUXGATE_EXPECT_THROW_MESSAGE(Random(1.01), std::invalid_argument, "Random: ratio must be in [0, 1], got 1.01");
    FLUXGATE_EXPECT_THROW_MESSAGE(Random{kNaN}, std::invalid_argument, "Random: ratio must be in [0, 1], got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(Random{kInfinity}, std::invalid_argument,
                                  "Random: ratio must be in [0, 1], got inf");
    FLUXGATE_EXPECT_THROW_MESSAGE(Random{-kInfinity}, std::invalid_argument,
                                  "Random: ratio must be in [0, 1], got -inf");
}

TEST(RampUp, ExposesParameters) {
    const RampUp permit(0.1, 0.9, 60s, kSeed);

    EXPECT_EQ(permit.initial(), 0.1);
    EXPECT_EQ(permit.final_ratio(), 0.9);
    EXPECT_EQ(permit.duration(), fg::Duration(60s));
}

TEST(RampUp, ProbabilityGrowsLinearly) {
    const RampUp permit(0.1, 1.0, 60s, kSeed);
    const TimePoint changed_at(500s);

    EXPECT_DOUBLE_EQ(permit.probability(changed_at, changed_at), 0.1);
    EXPECT_DOUBLE_EQ(permit.probability(changed_at, changed_at + 15s), 0.325);
    EXPECT_DOUBLE_EQ(permit.probability(changed_at, changed_at + 30s), 0.55);
    EXPECT_DOUBLE_EQ(permit.probability(changed_at, changed_at + 45s), 0.775);
    EXPECT_DOUBLE_EQ(permit.probability(changed_at, changed_at + 60s), 1.0);
}

TEST(RampUp, ProbabilityNeverDecreases) {
    const RampUp permit(0.05, 0.95, 10s, kSeed);
    double previous = 0.0;

    for (fg::Duration elapsed = -1s; elapsed <= 12s; elapsed += 100ms) {
        const double probability = permit.probability(TimePoint(0s), TimePoint(elapsed));

        EXPECT_GE(probability, previous) << elapsed.count() << "ns";
        EXPECT_GE(probability, 0.05);
        EXPECT_LE(probability, 0.95);
        previous = probability;
    }
}

TEST(RampUp, InitialBeforeChangedAt) {
    const RampUp permit(0.2, 1.0, 60s, kSeed);

    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(100s), TimePoint(99s)), 0.2);
    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(100s), TimePoint(-1000s)), 0.2);
}

TEST(RampUp, FinalAfterDuration) {
    const RampUp permit(0.2, 0.7, 60s, kSeed);

    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(60s)), 0.7);
    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(61s)), 0.7);
    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(std::chrono::hours(24 * 365))), 0.7);
}

TEST(RampUp, FlatWhenInitialEqualsFinal) {
    const RampUp permit(0.4, 0.4, 60s, kSeed);

    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(0s)), 0.4);
    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(30s)), 0.4);
    EXPECT_DOUBLE_EQ(permit.probability(TimePoint(0s), TimePoint(90s)), 0.4);
}

TEST(RampUp, AdmissionFollowsProbability) {
    const RampUp permit(0.2, 0.8, 60s, kSeed);
    const TimePoint changed_at(1000s);

    const int before = count_admitted(permit, changed_at, changed_at - 5s);
    const int at_start = count_admitted(permit, changed_at, changed_at);
    const int halfway = count_admitted(permit, changed_at, changed_at + 30s);
    const int after = count_admitted(permit, changed_at, changed_at + 120s);

    // Standard deviations: about 40 at 0.2 and 0.8, 50 at 0.5.
    EXPECT_GE(before, 1800);
    EXPECT_LE(before, 2200);
    EXPECT_GE(at_start, 1800);
    EXPECT_LE(at_start, 2200);
    EXPECT_GE(halfway, 4750);
    EXPECT_LE(halfway, 5250);
    EXPECT_GE(after, 7800);
    EXPECT_LE(after, 8200);
}

TEST(RampUp, FinalOneAdmitsEverything) {
    const RampUp permit(0.1, 1.0, 60s, kSeed);

    EXPECT_EQ(count_admitted(permit, TimePoint(0s), TimePoint(60s)), kDraws);
}

TEST(RampUp, SameSeedSameSequence) {
    const RampUp first(0.5, 0.5, 60s, kSeed);
    const RampUp second(0.5, 0.5, 60s, kSeed);

    EXPECT_EQ(decisions(first, 1000), decisions(second, 1000));
}

TEST(RampUp, SafeFromSeveralThreads) {
    const RampUp permit(0.1, 0.5, 60s, kSeed);

    const int admitted = count_admitted_concurrently(permit, TimePoint(0s), TimePoint(600s), 4, 5'000);

    // 10000 expected, standard deviation about 71.
    EXPECT_GE(admitted, 9650);
    EXPECT_LE(admitted, 10350);
}

TEST(RampUp, RejectsInitialOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.0, 1.0, 60s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(-0.5, 1.0, 60s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got -0.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(1.5, 1.0, 60s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got 1.5");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(kNaN, 1.0, 60s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(kInfinity, 1.0, 60s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got inf");
}

TEST(RampUp, RejectsFinalOutOfRange) {
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.5, 0.3, 60s), std::invalid_argument,
                                  "RampUp: final must be in [initial, 1] = [0.5, 1], got 0.3");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.1, 1.2, 60s), std::invalid_argument,
                                  "RampUp: final must be in [initial, 1] = [0.1, 1], got 1.2");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.1, kNaN, 60s), std::invalid_argument,
                                  "RampUp: final must be in [initial, 1] = [0.1, 1], got nan");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.1, -kInfinity, 60s), std::invalid_argument,
                                  "RampUp: final must be in [initial, 1] = [0.1, 1], got -inf");
}

TEST(RampUp, RejectsNonPositiveDuration) {
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.1, 1.0, 0s), std::invalid_argument,
                                  "RampUp: duration must be greater than 0, got 0ns");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.1, 1.0, -1min), std::invalid_argument,
                                  "RampUp: duration must be greater than 0, got -1min");
}

TEST(RampUp, ChecksParametersInOrder) {
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.0, 2.0, 0s), std::invalid_argument,
                                  "RampUp: initial must be in (0, 1], got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(RampUp(0.5, 2.0, 0s), std::invalid_argument,
                                  "RampUp: final must be in [initial, 1] = [0.5, 1], got 2");
}
