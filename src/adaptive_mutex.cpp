#include <fluxgate/detail/adaptive_mutex.hpp>

namespace fluxgate::detail {

namespace {

// Tells the processor that this is a spin-wait loop, which saves power and
// lets a sibling hyper-thread run.
inline void relax_cpu() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// About a microsecond of spinning on current x86 processors, several times
// the longest section this lock guards in the breaker.
constexpr int kSpins = 64;

}  // namespace

// Spins while the holder is likely to finish soon, then sleeps. A thread
// that goes to sleep marks the lock contended, so that `unlock` wakes it
// (the mutex "take 2" of Drepper's "Futexes Are Tricky").
void AdaptiveMutex::lock_contended() noexcept {
    for (int i = 0; i < kSpins; ++i) {
        std::uint32_t expected = kUnlocked;
        if (state_.load(std::memory_order_relaxed) == kUnlocked &&
            state_.compare_exchange_weak(expected, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) {
            return;
        }
        relax_cpu();
    }
    while (state_.exchange(kContended, std::memory_order_acquire) != kUnlocked) {
        state_.wait(kContended, std::memory_order_relaxed);
    }
}

}  // namespace fluxgate::detail
