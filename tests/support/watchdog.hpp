#pragma once

// A guard that aborts the test process when the code it watches does not
// finish in time, so that a deadlock fails the test instead of hanging it.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace fluxgate_test {

/// Aborts the process unless it is disarmed or destroyed within `limit`.
///
/// A deadlocked thread cannot be joined, so ending the process is the only
/// way to fail the test instead of hanging, and ctest reports the abort as a
/// failure. The limit only bounds a hang. Keep it far above the time the
/// watched code needs under a sanitizer.
class Watchdog {
public:
    Watchdog(std::string what, std::chrono::seconds limit)
        : what_(std::move(what)), thread_([this, limit] { watch(limit); }) {}

    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    ~Watchdog() { disarm(); }

    /// Stops watching; the watched code finished.
    void disarm() {
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
        }
        finished_signal_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    void watch(std::chrono::seconds limit) {
        std::unique_lock lock(mutex_);
        if (!finished_signal_.wait_for(lock, limit, [this] { return finished_; })) {
            std::fprintf(stderr, "watchdog: %s did not finish within %lld s, aborting (deadlock?)\n", what_.c_str(),
                         static_cast<long long>(limit.count()));
            std::fflush(stderr);
            std::abort();
        }
    }

    std::string what_;
    std::mutex mutex_;
    std::condition_variable finished_signal_;
    bool finished_ = false;
    std::thread thread_;
};

}  // namespace fluxgate_test
