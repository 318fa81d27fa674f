// Cost of a protected call in every state, compared with the floor: an
// empty call between two reads of the clock that the breaker uses.
//
// The table shows each benchmark's time per call divided by the floor's and
// its heap allocations per call, from the counting allocator below.
// BM_Footprint reports the bytes a breaker owns. A reporter given with
// --benchmark_out still receives Google Benchmark's own format.

#include <fluxgate/fluxgate.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>

namespace {

std::atomic<std::int64_t> g_allocations{0};
std::atomic<std::int64_t> g_live_bytes{0};

}  // namespace

// Counting allocator for this executable. The size of each block is stored
// in front of it so that live bytes can be tracked.
void* operator new(std::size_t size) {
    constexpr std::size_t kHeader = alignof(std::max_align_t);
    void* block = std::malloc(size + kHeader);
    if (block == nullptr) {
        throw std::bad_alloc();
    }
    *static_cast<std::size_t*>(block) = size;
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_live_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
    return static_cast<char*>(block) + kHeader;
}

void operator delete(void* pointer) noexcept {
    if (pointer == nullptr) {
        return;
    }
    constexpr std::size_t kHeader = alignof(std::max_align_t);
    void* block = static_cast<char*>(pointer) - kHeader;
    g_live_bytes.fetch_sub(static_cast<std::int64_t>(*static_cast<std::size_t*>(block)), std::memory_order_relaxed);
    std::free(block);
}

void operator delete(void* pointer, std::size_t) noexcept { operator delete(pointer); }

namespace {

using namespace std::chrono_literals;
namespace fg = fluxgate;

// Keeps the protected function opaque to the optimizer without adding work.
int protected_call(int value) {
    benchmark::DoNotOptimize(value);
    return value;
}

struct Failure : std::runtime_error {
    Failure() : std::runtime_error("failure") {}
};

fg::Options options_with(fg::detail::WindowHolder window, bool with_slow_rate) {
    using namespace fg::trippers;
    fg::Options options{.window = std::move(window)};
    if (with_slow_rate) {
        options.tripper = MinRequests(100) & (FailureRate(0.5) | SlowRate(0.5, 1s));
    }
    // Never probe on its own, so OPEN stays OPEN for the rejection benchmarks.
    options.retry = fg::retries::Never();
    return options;
}

// Sets `allocs_per_call` once the timed loop is over.
class AllocationCounter {
public:
    explicit AllocationCounter(benchmark::State& state)
        : state_(state), start_(g_allocations.load(std::memory_order_relaxed)) {}
    ~AllocationCounter() {
        const auto allocations = g_allocations.load(std::memory_order_relaxed) - start_;
        state_.counters["allocs_per_call"] = benchmark::Counter(
            static_cast<double>(allocations) / static_cast<double>(std::max<benchmark::IterationCount>(
                                                   state_.iterations(), 1)));
    }
    AllocationCounter(const AllocationCounter&) = delete;
    AllocationCounter& operator=(const AllocationCounter&) = delete;

private:
    benchmark::State& state_;
    std::int64_t start_;
};

void BM_Floor(benchmark::State& state) {
    const std::shared_ptr<fg::Clock> clock = fg::system_clock();
    AllocationCounter counter(state);
    for (auto _ : state) {
        const fg::TimePoint start = clock->now();
        benchmark::DoNotOptimize(protected_call(1));
        const fg::TimePoint end = clock->now();
        benchmark::DoNotOptimize(end - start);
    }
}

enum class WindowKind { count, time };

fg::detail::WindowHolder make_window(WindowKind kind) {
    if (kind == WindowKind::count) {
        return fg::windows::CountWindow(100);
    }
    return fg::windows::TimeWindow(60s);
}

// One breaker shared by every thread of a multi-threaded benchmark.
std::unique_ptr<fg::CircuitBreaker> g_shared_breaker;

template <WindowKind Kind, bool SlowRate>
void BM_ClosedSuccess(benchmark::State& state) {
    if (state.thread_index() == 0) {
        g_shared_breaker = std::make_unique<fg::CircuitBreaker>(options_with(make_window(Kind), SlowRate));
        for (int i = 0; i < 200; ++i) {
            (void)g_shared_breaker->call(protected_call, i);  // fill the window
        }
    }
    {
        AllocationCounter counter(state);
        for (auto _ : state) {
            benchmark::DoNotOptimize(g_shared_breaker->call(protected_call, 1));
        }
    }
    state.SetItemsProcessed(state.iterations());
}

template <WindowKind Kind>
void BM_ClosedFailure(benchmark::State& state) {
    fg::Options options = options_with(make_window(Kind), false);
    options.tripper = fg::trippers::FailureStreak(std::numeric_limits<std::int64_t>::max());
    fg::CircuitBreaker breaker(std::move(options));
    const auto is_failure = [](int) { return true; };
    AllocationCounter counter(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(breaker.call_classified(protected_call, is_failure, 1));
    }
}

// Opens `breaker` with 100 failures, or forces it open.
void open_breaker(fg::CircuitBreaker& breaker, bool forced) {
    if (forced) {
        breaker.force_open();
        return;
    }
    for (int i = 0; i < 100; ++i) {
        (void)breaker.call_classified(protected_call, [](int) { return true; }, i);
    }
}

void BM_RejectThrowing(benchmark::State& state, bool forced) {
    fg::CircuitBreaker breaker(options_with(make_window(WindowKind::count), false));
    open_breaker(breaker, forced);
    AllocationCounter counter(state);
    for (auto _ : state) {
        try {
            benchmark::DoNotOptimize(breaker.call(protected_call, 1));
        } catch (const fg::CallNotPermittedError& error) {
            benchmark::DoNotOptimize(&error);
        }
    }
}

void BM_RejectTryAcquire(benchmark::State& state, bool forced) {
    fg::CircuitBreaker breaker(options_with(make_window(WindowKind::count), false));
    open_breaker(breaker, forced);
    if (breaker.state() != (forced ? fg::State::forced_open : fg::State::open)) {
        state.SkipWithError("the breaker did not reach the expected state");
        return;
    }
    AllocationCounter counter(state);
    for (auto _ : state) {
        auto permission = breaker.try_acquire();
        benchmark::DoNotOptimize(permission);
    }
}

// A HALF_OPEN probe whose success keeps the circuit HALF_OPEN, because the
// tripper below stays true in HALF_OPEN.
void BM_HalfOpenProbe(benchmark::State& state) {
    using namespace fg::trippers;
    fg::CircuitBreaker breaker({
        .tripper = (Closed() & FailureStreak(1)) | HalfOpened(),
        .retry = fg::retries::Always(),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
    });
    (void)breaker.call_classified(protected_call, [](int) { return true; }, 0);  // closed -> open
    (void)breaker.call(protected_call, 0);  // open -> half_open, and the probe keeps it there
    if (breaker.state() != fg::State::half_open) {
        state.SkipWithError("the breaker did not reach half_open");
        return;
    }
    AllocationCounter counter(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(breaker.call(protected_call, 1));
    }
}

void BM_ManualState(benchmark::State& state, bool disabled) {
    fg::CircuitBreaker breaker(options_with(make_window(WindowKind::count), false));
    if (disabled) {
        breaker.disable();
    } else {
        breaker.metrics_only();
    }
    AllocationCounter counter(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(breaker.call(protected_call, 1));
    }
}

// Bytes allocated by constructing a breaker and still held by it.
void BM_Footprint(benchmark::State& state, WindowKind kind) {
    std::int64_t bytes = 0;
    for (auto _ : state) {
        const std::int64_t before = g_live_bytes.load(std::memory_order_relaxed);
        auto breaker = std::make_unique<fg::CircuitBreaker>(options_with(make_window(kind), false));
        bytes = g_live_bytes.load(std::memory_order_relaxed) - before;
        benchmark::DoNotOptimize(breaker);
    }
    state.counters["bytes"] = benchmark::Counter(static_cast<double>(bytes));
}

// Prints one row per benchmark: time per call, its ratio to BM_Floor,
// allocations per call, aggregate calls per second and owned bytes. With
// repetitions, only the medians are shown, each compared with the floor's median.
class TableReporter : public benchmark::BenchmarkReporter {
public:
    bool ReportContext(const Context& context) override {
        std::printf("%d CPUs at %.0f MHz; times are real time per call\n", context.cpu_info.num_cpus,
                    context.cpu_info.cycles_per_second / 1e6);
        std::printf("%-48s %10s %8s %8s %12s %10s\n", "benchmark", "ns/call", "x floor", "allocs", "calls/s",
                    "bytes");
        return true;
    }

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") {
                continue;
            }
            if (run.error_occurred) {
                std::printf("%-48s skipped: %s\n", run.run_name.str().c_str(), run.error_message.c_str());
                continue;
            }
            // Multi-threaded runs measure aggregate throughput, so their time
            // per call is the real time divided by the thread count.
            const double threads = static_cast<double>(std::max<int64_t>(run.threads, 1));
            const double per_call = run.GetAdjustedRealTime() / threads;
            const bool is_floor = run.run_name.function_name == "BM_Floor";
            if (is_floor) {
                floor_ = per_call;
            }
            const bool is_footprint = run.run_name.function_name.rfind("BM_Footprint", 0) == 0;
            std::printf("%-48s", run.run_name.str().c_str());
            if (is_footprint) {
                std::printf(" %10s %8s %8s %12s %10.0f\n", "-", "-", "-", "-", counter(run, "bytes"));
                continue;
            }
            std::printf(" %10.1f %8.2f %8.3f %12.3g %10s\n", per_call, floor_ > 0 ? per_call / floor_ : 0.0,
                        counter(run, "allocs_per_call"), 1e9 / per_call, "-");
        }
    }

private:
    static double counter(const Run& run, const std::string& name) {
        const auto found = run.counters.find(name);
        return found == run.counters.end() ? 0.0 : found->second.value;
    }

    double floor_ = 0;
};

}  // namespace

BENCHMARK(BM_Floor);
BENCHMARK(BM_ClosedSuccess<WindowKind::count, false>)->Name("BM_ClosedSuccess/CountWindow");
BENCHMARK(BM_ClosedSuccess<WindowKind::count, true>)->Name("BM_ClosedSuccess/CountWindow+SlowRate");
BENCHMARK(BM_ClosedSuccess<WindowKind::time, false>)->Name("BM_ClosedSuccess/TimeWindow");
BENCHMARK(BM_ClosedSuccess<WindowKind::time, true>)->Name("BM_ClosedSuccess/TimeWindow+SlowRate");
BENCHMARK(BM_ClosedSuccess<WindowKind::count, false>)->Name("BM_ClosedSuccess/CountWindow")->Threads(2)->UseRealTime();
BENCHMARK(BM_ClosedSuccess<WindowKind::time, false>)->Name("BM_ClosedSuccess/TimeWindow")->Threads(2)->UseRealTime();
BENCHMARK(BM_ClosedFailure<WindowKind::count>)->Name("BM_ClosedFailure/CountWindow");
BENCHMARK_CAPTURE(BM_RejectThrowing, Open, false);
BENCHMARK_CAPTURE(BM_RejectThrowing, ForcedOpen, true);
BENCHMARK_CAPTURE(BM_RejectTryAcquire, Open, false);
BENCHMARK_CAPTURE(BM_RejectTryAcquire, ForcedOpen, true);
BENCHMARK(BM_HalfOpenProbe);
BENCHMARK_CAPTURE(BM_ManualState, MetricsOnly, false);
BENCHMARK_CAPTURE(BM_ManualState, Disabled, true);
BENCHMARK_CAPTURE(BM_Footprint, CountWindow100, WindowKind::count)->Iterations(1);
BENCHMARK_CAPTURE(BM_Footprint, TimeWindow60s, WindowKind::time)->Iterations(1);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    TableReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
