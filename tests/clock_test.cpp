#include <fluxgate/clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

// 2024-01-01T00:00:00Z, where a ManualClock's wall time starts.
constexpr std::chrono::seconds kDefaultWallStart{1'704'067'200};

}  // namespace

TEST(SystemClock, NowFollowsSteadyClock) {
    const fg::SystemClock clock;

    const auto before = std::chrono::steady_clock::now();
    const fg::TimePoint now = clock.now();
    const auto after = std::chrono::steady_clock::now();

    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
}

TEST(SystemClock, WallNowIsSystemClockTime) {
    const fg::SystemClock clock;

    const fg::WallTime wall = clock.wall_now();
    const auto reference = std::chrono::system_clock::now();

    // A loose bound, because the wall clock may be adjusted between the two reads.
    EXPECT_LT(std::chrono::abs(reference - wall), std::chrono::minutes(1));
}

TEST(SystemClock, CoarseNowNeverAheadOfNow) {
    const fg::SystemClock clock;

    for (int i = 0; i < 10'000; ++i) {
        const fg::TimePoint coarse = clock.coarse_now();
        const fg::TimePoint precise = clock.now();
        ASSERT_LE(coarse, precise) << "iteration " << i;
    }
}

TEST(SystemClock, CoarseNowLagsByLessThanASecond) {
    const fg::SystemClock clock;

    const fg::TimePoint precise = clock.now();
    const fg::TimePoint coarse = clock.coarse_now();

    EXPECT_LT(precise - coarse, std::chrono::seconds(1));
}

TEST(ManualClock, CoarseNowIsNow) {
    fg::ManualClock clock;
    clock.advance(std::chrono::milliseconds(1500));

    EXPECT_EQ(clock.coarse_now(), clock.now());
}

TEST(SystemClock, SharedInstanceIsSystemClock) {
    const std::shared_ptr<fg::Clock> first = fg::system_clock();
    const std::shared_ptr<fg::Clock> second = fg::system_clock();

    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first, second);
    EXPECT_NE(dynamic_cast<const fg::SystemClock*>(first.get()), nullptr);
}

TEST(ManualClock, StartsAtZeroAndNewYear2024) {
    const fg::ManualClock clock;

    EXPECT_EQ(clock.now(), fg::TimePoint{});
    EXPECT_EQ(clock.wall_now(), fg::WallTime(kDefaultWallStart));
}

TEST(ManualClock, StartsAtGivenMonotonicTime) {
    const fg::ManualClock clock(fg::TimePoint(42s));

    EXPECT_EQ(clock.now(), fg::TimePoint(42s));
    EXPECT_EQ(clock.wall_now(), fg::WallTime(kDefaultWallStart));
}

TEST(ManualClock, StandsStillUntilAdvanced) {
    const fg::ManualClock clock;

    const fg::TimePoint first = clock.now();
    const fg::TimePoint second = clock.now();

    EXPECT_EQ(first, second);
}

TEST(ManualClock, AdvanceMovesBothTimes) {
    fg::ManualClock clock;

    clock.advance(1500ms);
    clock.advance(250us);

    EXPECT_EQ(clock.now(), fg::TimePoint(1500ms + 250us));
    EXPECT_EQ(clock.wall_now(), fg::WallTime(kDefaultWallStart) + 1500ms + 250us);
}

TEST(ManualClock, NegativeAdvanceMovesBack) {
    fg::ManualClock clock(fg::TimePoint(10s));

    clock.advance(-3s);

    EXPECT_EQ(clock.now(), fg::TimePoint(7s));
    EXPECT_EQ(clock.wall_now(), fg::WallTime(kDefaultWallStart) - 3s);
}

TEST(ManualClock, SetMovesOnlyMonotonicTime) {
    fg::ManualClock clock;

    clock.set(fg::TimePoint(90s));

    EXPECT_EQ(clock.now(), fg::TimePoint(90s));
    EXPECT_EQ(clock.wall_now(), fg::WallTime(kDefaultWallStart));
}

TEST(ManualClock, SetWallMovesOnlyWallTime) {
    fg::ManualClock clock(fg::TimePoint(5s));
    const fg::WallTime jump_target = fg::WallTime(kDefaultWallStart) - std::chrono::hours(24 * 365);

    clock.set_wall(jump_target);

    EXPECT_EQ(clock.wall_now(), jump_target);
    EXPECT_EQ(clock.now(), fg::TimePoint(5s));
}

TEST(ManualClock, AdvanceAfterWallJumpKeepsOffset) {
    fg::ManualClock clock;
    const fg::WallTime jump_target = fg::WallTime(kDefaultWallStart) + std::chrono::hours(3);
    clock.set_wall(jump_target);

    clock.advance(2s);

    EXPECT_EQ(clock.now(), fg::TimePoint(2s));
    EXPECT_EQ(clock.wall_now(), jump_target + 2s);
}

TEST(ManualClock, UsableThroughClockInterface) {
    auto manual = std::make_shared<fg::ManualClock>();
    const std::shared_ptr<fg::Clock> clock = manual;

    manual->advance(1min);

    EXPECT_EQ(clock->now(), fg::TimePoint(1min));
    EXPECT_EQ(clock->wall_now(), fg::WallTime(kDefaultWallStart) + 1min);
}

TEST(ManualClock, ConcurrentAdvancesAllCount) {
    fg::ManualClock clock;
    constexpr int kThreads = 4;
    constexpr int kAdvancesPerThread = 1000;

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&clock] {
            for (int i = 0; i < kAdvancesPerThread; ++i) {
                clock.advance(1ms);
                (void)clock.now();
                (void)clock.wall_now();
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }

    EXPECT_EQ(clock.now(), fg::TimePoint(std::chrono::milliseconds(kThreads * kAdvancesPerThread)));
    EXPECT_EQ(clock.wall_now(),
              fg::WallTime(kDefaultWallStart) + std::chrono::milliseconds(kThreads * kAdvancesPerThread));
}
