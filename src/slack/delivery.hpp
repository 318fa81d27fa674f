#pragma once

// The queue and the worker thread behind every copy of one SlackListener.
//
// Locking: `mutex_` guards the queue, the cycle counter and the worker's
// flags. It is never held while a request runs, a retry waits or the error
// handler is called, so `enqueue` waits at most for a queue operation.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <fluxgate/slack.hpp>
#include <fluxgate/state.hpp>

#include "http_client.hpp"

namespace fluxgate::detail {

class SlackDelivery {
public:
    /// Starts the worker. `http` must already be validated.
    SlackDelivery(std::string name, std::string channel, std::string token, listeners::SlackOptions options,
                  const HttpClient::Config& http);

    /// Sends what is queued for up to `shutdown_timeout`, then aborts the
    /// request in progress, drops the rest and joins the worker.
    ~SlackDelivery();

    SlackDelivery(const SlackDelivery&) = delete;
    SlackDelivery& operator=(const SlackDelivery&) = delete;

    void enqueue(const Signal& signal) noexcept;
    [[nodiscard]] listeners::SlackStats stats() const noexcept;
    bool flush(std::chrono::milliseconds timeout);

private:
    struct Item {
        Signal signal;
        // Failure cycle the transition belongs to. Counted when the
        // transition is queued, dropped ones included, so a dropped `closed`
        // still ends the thread.
        std::uint64_t cycle;
    };

    // The outcome of one attempt.
    struct Verdict {
        enum class Kind { sent, retry, failed, aborted };
        Kind kind;
        std::string ts;     // `ts` of the posted message when `sent`
        std::string error;  // why it was not sent, for the log
        std::chrono::seconds retry_after{0};
    };

    void run() noexcept;
    void deliver(const Item& item);
    [[nodiscard]] Verdict judge(const HttpResult& result) const;
    [[nodiscard]] std::chrono::milliseconds retry_wait(int attempt, std::chrono::seconds retry_after) const;
    // Waits `delay`, or less if shutdown aborts delivery; returns false then.
    bool wait_before_retry(std::chrono::milliseconds delay);
    // Passes `message`, prefixed with the listener's name and with the token
    // masked, to the error handler.
    void report(std::string_view message) const noexcept;
    // Counts and reports a message abandoned because the shutdown timeout ran out.
    void report_shutdown_drop(const Signal& signal);

    const std::string name_;
    const std::string channel_;
    const std::string token_;
    const listeners::SlackOptions options_;
    HttpClient http_;

    mutable std::mutex mutex_;
    std::condition_variable work_cv_;  // the worker waits for an item, stop or abort
    std::condition_variable idle_cv_;  // flush and the destructor wait for the worker
    std::deque<Item> queue_;
    std::uint64_t next_cycle_ = 0;
    bool busy_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    // Set when the shutdown timeout runs out; read without the lock by the
    // request in progress.
    std::atomic<bool> abort_{false};

    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> retries_{0};

    // Used by the worker only: the thread that replies go to, and the cycle
    // it belongs to.
    std::string thread_ts_;
    std::uint64_t thread_cycle_ = 0;

    // Declared last so that it starts after every member it uses exists.
    std::thread worker_;
};

}  // namespace fluxgate::detail
