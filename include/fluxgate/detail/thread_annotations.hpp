#pragma once

// Clang thread-safety annotations and a mutex and lock that carry them.
//
// Built with Clang and -Wthread-safety, the compiler checks that a field
// marked FLUXGATE_GUARDED_BY(m) is only read or written while `m` is held,
// that a function marked FLUXGATE_REQUIRES(m) is only called with `m` held
// and one marked FLUXGATE_EXCLUDES(m) only without it. Other compilers do
// not know the attributes, and the macros expand to nothing for them.

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define FLUXGATE_THREAD_ANNOTATION(attribute) __attribute__((attribute))
#else
#define FLUXGATE_THREAD_ANNOTATION(attribute)
#endif

/// Marks a class as a lock, named `name` in the analysis's messages.
#define FLUXGATE_CAPABILITY(name) FLUXGATE_THREAD_ANNOTATION(capability(name))
/// Marks a class whose objects hold a lock from construction to destruction.
#define FLUXGATE_SCOPED_CAPABILITY FLUXGATE_THREAD_ANNOTATION(scoped_lockable)
/// Marks a field that may only be used while `mutex` is held.
#define FLUXGATE_GUARDED_BY(mutex) FLUXGATE_THREAD_ANNOTATION(guarded_by(mutex))
/// Marks a pointer whose target may only be used while `mutex` is held.
#define FLUXGATE_PT_GUARDED_BY(mutex) FLUXGATE_THREAD_ANNOTATION(pt_guarded_by(mutex))
/// Marks a function that takes the given locks (or `*this`) and returns holding them.
#define FLUXGATE_ACQUIRE(...) FLUXGATE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
/// Marks a function that releases the given locks (or `*this`).
#define FLUXGATE_RELEASE(...) FLUXGATE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
/// Marks a function that must be called with the given locks held.
#define FLUXGATE_REQUIRES(...) FLUXGATE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
/// Marks a function that must be called without the given locks held,
/// because it takes them itself or runs code that may.
#define FLUXGATE_EXCLUDES(...) FLUXGATE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
/// Turns the analysis off for one function. Each use needs a comment giving the reason.
#define FLUXGATE_NO_THREAD_SAFETY_ANALYSIS FLUXGATE_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace fluxgate::detail {

/// A `std::mutex` that the thread-safety analysis treats as a lock.
class FLUXGATE_CAPABILITY("mutex") Mutex {
public:
    Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock() FLUXGATE_ACQUIRE() { mutex_.lock(); }
    void unlock() FLUXGATE_RELEASE() { mutex_.unlock(); }

    /// Returns the underlying mutex, for `MutexLock` to wait on a condition variable.
    [[nodiscard]] std::mutex& native() noexcept { return mutex_; }

private:
    std::mutex mutex_;
};

/// Holds a `Mutex` for its scope, like `std::unique_lock`: it may be
/// released and taken again inside the scope, and can wait on a condition
/// variable.
class FLUXGATE_SCOPED_CAPABILITY MutexLock {
public:
    explicit MutexLock(Mutex& mutex) FLUXGATE_ACQUIRE(mutex) : lock_(mutex.native()) {}
    ~MutexLock() FLUXGATE_RELEASE() = default;

    MutexLock(const MutexLock&) = delete;
    MutexLock& operator=(const MutexLock&) = delete;

    void lock() FLUXGATE_ACQUIRE() { lock_.lock(); }
    void unlock() FLUXGATE_RELEASE() { lock_.unlock(); }

    /// Releases the mutex while blocked on `condition`, and holds it again on return.
    /// Wakes up spuriously like `std::condition_variable::wait`, so call it in a loop.
    void wait(std::condition_variable& condition) { condition.wait(lock_); }

private:
    std::unique_lock<std::mutex> lock_;
};

}  // namespace fluxgate::detail
