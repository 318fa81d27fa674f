#pragma once

// The breaker's state lock: short critical sections, taken on every
// recorded call by every thread.

#include <atomic>
#include <cstdint>

#include <fluxgate/detail/thread_annotations.hpp>

namespace fluxgate::detail {

/// A mutex that spins briefly before it sleeps.
///
/// The sections it guards last tens of nanoseconds, so a waiting thread
/// usually gets the lock within a few spins, without the system call a
/// sleeping `std::mutex` pays under contention. After the spins it sleeps
/// on the lock word (`std::atomic::wait`, a futex on Linux), so a holder
/// that is descheduled does not burn the other cores.
class FLUXGATE_CAPABILITY("mutex") AdaptiveMutex {
public:
    AdaptiveMutex() = default;
    AdaptiveMutex(const AdaptiveMutex&) = delete;
    AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

    void lock() noexcept FLUXGATE_ACQUIRE() {
        std::uint32_t expected = kUnlocked;
        if (!state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
            lock_contended();
        }
    }

    void unlock() noexcept FLUXGATE_RELEASE() {
        if (state_.exchange(kUnlocked, std::memory_order_release) == kContended) {
            state_.notify_one();
        }
    }

private:
    static constexpr std::uint32_t kUnlocked = 0;
    static constexpr std::uint32_t kLocked = 1;
    static constexpr std::uint32_t kContended = 2;  // locked, and a thread may be asleep

    void lock_contended() noexcept;

    std::atomic<std::uint32_t> state_{kUnlocked};
};

/// Holds an `AdaptiveMutex` for its lifetime.
class FLUXGATE_SCOPED_CAPABILITY AdaptiveLock {
public:
    explicit AdaptiveLock(AdaptiveMutex& mutex) noexcept FLUXGATE_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
    ~AdaptiveLock() FLUXGATE_RELEASE() { mutex_.unlock(); }

    AdaptiveLock(const AdaptiveLock&) = delete;
    AdaptiveLock& operator=(const AdaptiveLock&) = delete;

private:
    AdaptiveMutex& mutex_;
};

}  // namespace fluxgate::detail
