#include "delivery.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>

#include "message.hpp"

namespace fluxgate::detail {

namespace {

// Transitions after which the next `open` starts a new thread.
bool ends_thread(State state) noexcept {
    return state == State::closed || state == State::disabled || state == State::metrics_only;
}

std::string describe(const Signal& signal) {
    std::string text(to_string(signal.old_state));
    text.append(" -> ").append(to_string(signal.new_state));
    return text;
}

// Error codes come from the server; a gateway could send anything.
constexpr std::size_t kMaxErrorLength = 200;

std::string slack_error(std::string_view error) {
    std::string text = "Slack error \"";
    text.append(error.substr(0, kMaxErrorLength)).append("\"");
    return text;
}

}  // namespace

SlackDelivery::SlackDelivery(std::string name, std::string channel, std::string token,
                             listeners::SlackOptions options, const HttpClient::Config& http)
    : name_(std::move(name)),
      channel_(std::move(channel)),
      token_(std::move(token)),
      options_(std::move(options)),
      http_(http),
      worker_([this] { run(); }) {}

SlackDelivery::~SlackDelivery() {
    const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_timeout;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_cv_.notify_all();

    bool timed_out = false;
    {
        std::unique_lock lock(mutex_);
        if (!idle_cv_.wait_until(lock, deadline, [this] { return finished_; })) {
            abort_.store(true, std::memory_order_release);
            timed_out = true;
        }
    }
    if (timed_out) {
        work_cv_.notify_all();
        http_.wake();
    }
    worker_.join();
}

void SlackDelivery::enqueue(const Signal& signal) noexcept {
    bool queued = false;
    try {
        std::lock_guard lock(mutex_);
        const std::uint64_t cycle = next_cycle_;
        if (ends_thread(signal.new_state)) {
            ++next_cycle_;
        }
        if (queue_.size() < options_.queue_capacity) {
            queue_.push_back(Item{signal, cycle});
            queued = true;
        }
    } catch (...) {
        // The queue could not grow; the message is dropped below like any other.
    }
    if (queued) {
        work_cv_.notify_one();
        return;
    }
    dropped_.fetch_add(1, std::memory_order_relaxed);
    try {
        report("queue is full (" + std::to_string(options_.queue_capacity) + " messages), dropped the message for " +
               describe(signal));
    } catch (...) {
        // Formatting the report failed; the drop is still counted.
    }
}

listeners::SlackStats SlackDelivery::stats() const noexcept {
    return {
        .sent = sent_.load(std::memory_order_relaxed),
        .failed = failed_.load(std::memory_order_relaxed),
        .dropped = dropped_.load(std::memory_order_relaxed),
        .retries = retries_.load(std::memory_order_relaxed),
    };
}

bool SlackDelivery::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void SlackDelivery::run() noexcept {
    while (true) {
        Item item{};
        std::size_t abandoned = 0;
        {
            std::unique_lock lock(mutex_);
            work_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (queue_.empty()) {
                break;
            }
            if (abort_.load(std::memory_order_acquire)) {
                abandoned = queue_.size();
                queue_.clear();
            } else {
                item = queue_.front();
                queue_.pop_front();
                busy_ = true;
            }
        }
        if (abandoned > 0) {
            dropped_.fetch_add(abandoned, std::memory_order_relaxed);
            report(std::to_string(abandoned) + " queued messages dropped because the shutdown timeout of " +
                   format_duration(options_.shutdown_timeout) + " ran out");
            break;
        }

        try {
            deliver(item);
        } catch (const std::exception& error) {
            failed_.fetch_add(1, std::memory_order_relaxed);
            report(std::string("message for ") + describe(item.signal) + " failed: " + error.what());
        }
        {
            std::lock_guard lock(mutex_);
            busy_ = false;
        }
        idle_cv_.notify_all();
    }

    {
        std::lock_guard lock(mutex_);
        finished_ = true;
        busy_ = false;
    }
    idle_cv_.notify_all();
}

// Posts one message, retrying in place so that later messages wait for it.
void SlackDelivery::deliver(const Item& item) {
    if (item.cycle != thread_cycle_) {
        thread_ts_.clear();
    }
    const std::string body =
        build_slack_payload(options_.templates, {channel_, name_, item.signal, thread_ts_});
    const std::string what = "chat.postMessage for " + describe(item.signal) + " failed: ";

    for (int attempt = 1;; ++attempt) {
        const Verdict verdict = judge(http_.post(body, abort_));
        switch (verdict.kind) {
            case Verdict::Kind::sent:
                sent_.fetch_add(1, std::memory_order_relaxed);
                if (item.signal.new_state == State::open && thread_ts_.empty() && !verdict.ts.empty()) {
                    thread_ts_ = verdict.ts;
                    thread_cycle_ = item.cycle;
                }
                return;
            case Verdict::Kind::failed:
                failed_.fetch_add(1, std::memory_order_relaxed);
                report(what + verdict.error);
                return;
            case Verdict::Kind::aborted:
                report_shutdown_drop(item.signal);
                return;
            case Verdict::Kind::retry: break;
        }

        if (attempt >= options_.max_attempts) {
            failed_.fetch_add(1, std::memory_order_relaxed);
            report(what + verdict.error + "; giving up after " + std::to_string(attempt) +
                   (attempt == 1 ? " attempt" : " attempts"));
            return;
        }
        const std::chrono::milliseconds wait = retry_wait(attempt, verdict.retry_after);
        report(what + verdict.error + "; retrying in " + format_duration(wait) + " (attempt " +
               std::to_string(attempt) + " of " + std::to_string(options_.max_attempts) + ")");
        retries_.fetch_add(1, std::memory_order_relaxed);
        if (!wait_before_retry(wait)) {
            report_shutdown_drop(item.signal);
            return;
        }
    }
}

SlackDelivery::Verdict SlackDelivery::judge(const HttpResult& result) const {
    using Kind = Verdict::Kind;
    switch (result.outcome) {
        case HttpResult::Outcome::aborted: return {Kind::aborted, {}, "aborted"};
        case HttpResult::Outcome::timed_out:
            // Not retried: Slack may have posted the message before the
            // response was lost, and a retry would post it twice.
            return {Kind::failed, {}, "timed out after " + format_duration(options_.request_timeout)};
        case HttpResult::Outcome::not_connected: return {Kind::retry, {}, "connection failed: " + result.error};
        case HttpResult::Outcome::transport_error: return {Kind::failed, {}, result.error};
        case HttpResult::Outcome::completed: break;
    }

    const std::string status = "HTTP " + std::to_string(result.status);
    if (result.status == 429) {
        return {Kind::retry, {}, status + " (rate limited)", result.retry_after};
    }
    if (result.status >= 500) {
        return {Kind::retry, {}, status, result.retry_after};
    }
    const SlackReply reply = parse_slack_reply(result.body);
    if (result.status < 200 || result.status >= 300) {
        return {Kind::failed, {}, status + ", " + slack_error(reply.error)};
    }
    if (reply.ok) {
        return {Kind::sent, reply.ts, {}};
    }
    if (reply.error == "ratelimited") {
        return {Kind::retry, {}, slack_error(reply.error), result.retry_after};
    }
    return {Kind::failed, {}, slack_error(reply.error)};
}

std::chrono::milliseconds SlackDelivery::retry_wait(int attempt, std::chrono::seconds retry_after) const {
    if (retry_after > std::chrono::seconds::zero()) {
        return std::min<std::chrono::milliseconds>(retry_after, options_.max_retry_delay);
    }
    // retry_delay * 2^(attempt - 1), doubled step by step so that it cannot overflow.
    std::chrono::milliseconds wait = options_.retry_delay;
    for (int i = 1; i < attempt && wait < options_.max_retry_delay; ++i) {
        wait *= 2;
    }
    return std::min(wait, options_.max_retry_delay);
}

bool SlackDelivery::wait_before_retry(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return !work_cv_.wait_for(lock, delay, [this] { return abort_.load(std::memory_order_acquire); });
}

void SlackDelivery::report_shutdown_drop(const Signal& signal) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    report("message for " + describe(signal) + " dropped because the shutdown timeout of " +
           format_duration(options_.shutdown_timeout) + " ran out");
}

void SlackDelivery::report(std::string_view message) const noexcept {
    try {
        std::string line = "fluxgate: SlackListener '" + name_ + "': ";
        line.append(message);
        // A server or gateway may echo the request headers back in an error,
        // so the token is masked wherever it appears.
        report_error(mask_token(std::move(line), token_));
    } catch (...) {
        // Building the line failed; report_error itself never throws.
    }
}

}  // namespace fluxgate::detail
