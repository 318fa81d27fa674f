// Proves that the steady-state paths of `CircuitBreaker` take no heap
// allocation. This executable counts every allocation of the process; no
// other test binary does.
//
// It counts with replacements of the global `operator new`, except under
// ThreadSanitizer: its runtime is linked statically and defines `operator
// new` itself, so there the test counts through the sanitizer's allocation
// hook, which counts `malloc` and `operator new` alike.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <system_error>

#include <fluxgate/clock.hpp>
#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>
#include <fluxgate/windows.hpp>

#if defined(__SANITIZE_THREAD__)
#define FLUXGATE_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLUXGATE_TEST_UNDER_TSAN 1
#endif
#endif

#if defined(FLUXGATE_TEST_UNDER_TSAN)
#include <sanitizer/allocator_interface.h>
#endif

namespace {

std::atomic<std::int64_t> g_allocations{0};

}  // namespace

#if defined(FLUXGATE_TEST_UNDER_TSAN)

namespace {

void count_allocation(const volatile void*, std::size_t) { g_allocations.fetch_add(1, std::memory_order_relaxed); }
void ignore_free(const volatile void*) {}

// Installed during static initialization, before any thread starts, as the
// sanitizer requires.
const int g_installed_hooks = __sanitizer_install_malloc_and_free_hooks(count_allocation, ignore_free);

}  // namespace

#else

namespace {

void* counted_allocate(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}

void* counted_allocate_aligned(std::size_t size, std::align_val_t alignment) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    const auto align = static_cast<std::size_t>(alignment);
    // aligned_alloc needs a size that is a multiple of the alignment.
    const std::size_t rounded = (size + align - 1) / align * align;
    if (void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded)) {
        return p;
    }
    throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocate(size); }
void* operator new[](std::size_t size) { return counted_allocate(size); }
void* operator new(std::size_t size, std::align_val_t alignment) { return counted_allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) {
    return counted_allocate_aligned(size, alignment);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_allocate(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_allocate(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#endif

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;

namespace {

constexpr int kWarmUpCalls = 200;
constexpr int kMeasuredCalls = 1000;

// Returns the heap allocations of `kMeasuredCalls` runs of `body` after a
// warm-up, so that one-time work (first bucket, lazy statics) is not counted.
template <class Body>
std::int64_t allocations_per_steady_state(Body&& body) {
    for (int i = 0; i < kWarmUpCalls; ++i) {
        body();
    }
    const std::int64_t before = g_allocations.load();
    for (int i = 0; i < kMeasuredCalls; ++i) {
        body();
    }
    return g_allocations.load() - before;
}

// Options whose tripper never trips, because the window contains at most 100 calls.
fg::Options quiet_options(const std::shared_ptr<fg::ManualClock>& clock) {
    return fg::Options{
        .tripper = fg::trippers::MinRequests(1'000) & fg::trippers::FailureRate(0.5),
        .clock = clock,
    };
}

int status_ok() { return 200; }

struct Measurement {
    std::int64_t allocations;  ///< Heap allocations over all measured calls.
    int wrong_results;         ///< Calls that did not return 200.
};

// Measures successful calls of `status_ok` through `breaker`, with `step`
// of time passing before each call.
Measurement measure_ok_calls(fg::CircuitBreaker& breaker, fg::ManualClock& clock, fg::Duration step) {
    int wrong_results = 0;
    const std::int64_t allocations = allocations_per_steady_state([&] {
        clock.advance(step);
        wrong_results += breaker.call(status_ok) == 200 ? 0 : 1;
    });
    return Measurement{allocations, wrong_results};
}

}  // namespace

TEST(Allocation, CounterSeesAllocations) {
#if defined(FLUXGATE_TEST_UNDER_TSAN)
    ASSERT_GT(g_installed_hooks, 0);
#endif
    const std::int64_t before = g_allocations.load();

    // Kept in a global, so that the optimizer cannot drop the allocation.
    static std::unique_ptr<int> kept_allocation;
    kept_allocation = std::make_unique<int>(1);

    EXPECT_EQ(g_allocations.load() - before, 1);
}

TEST(Allocation, ClosedSuccessWithCountWindow) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};

    const Measurement measured = measure_ok_calls(breaker, *clock, 1ms);

    EXPECT_EQ(measured.allocations, 0);
    EXPECT_EQ(measured.wrong_results, 0);
    EXPECT_EQ(breaker.state(), State::closed);
}

TEST(Allocation, ClosedSuccessWithTimeWindow) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::Options options = quiet_options(clock);
    options.window = fg::windows::TimeWindow(10s);
    fg::CircuitBreaker breaker{std::move(options)};

    // Steps of 30 ms move through many one-second buckets and expire old ones.
    const Measurement measured = measure_ok_calls(breaker, *clock, 30ms);

    EXPECT_EQ(measured.allocations, 0);
    EXPECT_EQ(measured.wrong_results, 0);
}

TEST(Allocation, ClosedSuccessWithSlowRate) {
    using namespace fg::trippers;
    const auto slow_rates = SlowRate(0.9, 10ms) | SlowRate(0.9, 50ms) | SlowRate(0.9, 1s);
    for (bool time_window : {false, true}) {
        SCOPED_TRACE(time_window ? "TimeWindow" : "CountWindow");
        auto clock = std::make_shared<fg::ManualClock>();
        fg::Options options = quiet_options(clock);
        options.tripper = MinRequests(1'000) & slow_rates;
        if (time_window) {
            options.window = fg::windows::TimeWindow(5s);
        }
        fg::CircuitBreaker breaker{std::move(options)};
        int call = 0;

        const std::int64_t allocations = allocations_per_steady_state([&] {
            breaker.call([&] {
                clock->advance(std::chrono::milliseconds(++call % 3 == 0 ? 60 : 5));
                return 0;
            });
        });

        EXPECT_EQ(allocations, 0);
        EXPECT_GT(breaker.info().metrics.slow_count(50ms), 0);
    }
}

TEST(Allocation, ClosedFailureClassifiedFromResult) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};
    const auto is_error = [](const std::error_code& code) { return static_cast<bool>(code); };

    int wrong_results = 0;
    const std::int64_t allocations = allocations_per_steady_state([&] {
        clock->advance(1ms);
        const std::error_code code =
            breaker.call_classified([] { return std::make_error_code(std::errc::connection_refused); }, is_error);
        wrong_results += code ? 0 : 1;
    });

    EXPECT_EQ(allocations, 0);
    EXPECT_EQ(wrong_results, 0);
    EXPECT_EQ(breaker.info().metrics.failure_count, 100);
}

TEST(Allocation, PermissionOutcomes) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};
    bool succeed = false;

    const std::int64_t allocations = allocations_per_steady_state([&] {
        auto permission = breaker.try_acquire();
        succeed = !succeed;
        if (succeed) {
            permission->success();
        } else {
            permission->failure(2ms);
        }
    });

    EXPECT_EQ(allocations, 0);
}

TEST(Allocation, RejectionWhileOpen) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .tripper = fg::trippers::FailureStreak(1),
        .retry = fg::retries::Never(),
        .clock = clock,
    }};
    breaker.try_acquire()->failure();
    ASSERT_EQ(breaker.state(), State::open);

    int wrong_results = 0;
    const std::int64_t allocations = allocations_per_steady_state([&] {
        clock->advance(1s);
        wrong_results += breaker.try_acquire().has_value() ? 1 : 0;
    });

    EXPECT_EQ(allocations, 0);
    EXPECT_EQ(wrong_results, 0);
}

TEST(Allocation, RejectionWhileForcedOpen) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};
    breaker.force_open();

    int wrong_results = 0;
    const std::int64_t allocations =
        allocations_per_steady_state([&] { wrong_results += breaker.try_acquire().has_value() ? 1 : 0; });

    EXPECT_EQ(allocations, 0);
    EXPECT_EQ(wrong_results, 0);
}

TEST(Allocation, HalfOpenProbe) {
    using namespace fg::trippers;
    auto clock = std::make_shared<fg::ManualClock>();
    // HalfOpened() keeps the circuit HALF_OPEN after each successful probe.
    fg::CircuitBreaker breaker{{
        .tripper = HalfOpened() | FailureStreak(1),
        .retry = fg::retries::Always(),
        .permit = fg::permits::All(),
        .clock = clock,
    }};
    breaker.try_acquire()->failure();
    breaker.try_acquire()->success();
    ASSERT_EQ(breaker.state(), State::half_open);

    const Measurement measured = measure_ok_calls(breaker, *clock, 1ms);

    EXPECT_EQ(measured.allocations, 0);
    EXPECT_EQ(measured.wrong_results, 0);
    EXPECT_EQ(breaker.state(), State::half_open);
}

TEST(Allocation, MetricsOnly) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};
    breaker.metrics_only();

    const Measurement measured = measure_ok_calls(breaker, *clock, 1ms);

    EXPECT_EQ(measured.allocations, 0);
    EXPECT_EQ(measured.wrong_results, 0);
    EXPECT_EQ(breaker.info().metrics.total_count, 100);
}

TEST(Allocation, Disabled) {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{quiet_options(clock)};
    breaker.disable();

    const Measurement measured = measure_ok_calls(breaker, *clock, 1ms);

    EXPECT_EQ(measured.allocations, 0);
    EXPECT_EQ(measured.wrong_results, 0);
}
