#pragma once

// Test doubles for breaker tests: components that return what a test sets
// and record how the breaker called them, a listener that records every
// signal, and a guard that captures the messages sent to the error handler.
//
// Every double keeps its state behind a `std::shared_ptr`, because `Options`
// copies components and listeners: the copy the breaker holds and the one
// the test holds share that state.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/listeners.hpp>
#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/state.hpp>
#include <fluxgate/trippers.hpp>

namespace fluxgate_test {

/// A failure of the protected service; trackers in tests count it.
struct ServiceError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// An exception that trackers in tests do not count.
struct IgnoredError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// An exception type not derived from `std::exception`.
struct NonStandardError {
    int code = 0;
};

/// A transition as a pair, so that a test can compare whole sequences.
using Transition = std::pair<fluxgate::State, fluxgate::State>;

/// A list of values that many threads may append to.
template <class T>
class SharedList {
public:
    void push(const T& value) {
        std::lock_guard lock(mutex_);
        values_.push_back(value);
    }

    [[nodiscard]] std::vector<T> snapshot() const {
        std::lock_guard lock(mutex_);
        return values_;
    }

    [[nodiscard]] std::size_t size() const {
        std::lock_guard lock(mutex_);
        return values_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<T> values_;
};

/// A tripper that returns the value the test sets, counts its evaluations
/// and keeps every context it was given.
class ScriptedTripper final : public fluxgate::trippers::Tripper {
public:
    struct Script {
        std::atomic<bool> answer{false};
        std::atomic<std::int64_t> evaluations{0};
        SharedList<fluxgate::trippers::CallContext> contexts;
    };

    ScriptedTripper() : script_(std::make_shared<Script>()) {}

    [[nodiscard]] bool operator()(const fluxgate::trippers::CallContext& context) const override {
        script_->evaluations.fetch_add(1);
        script_->contexts.push(context);
        return script_->answer.load();
    }

    void set(bool answer) const { script_->answer.store(answer); }
    [[nodiscard]] std::int64_t evaluations() const { return script_->evaluations.load(); }
    [[nodiscard]] std::vector<fluxgate::trippers::CallContext> contexts() const {
        return script_->contexts.snapshot();
    }

private:
    std::shared_ptr<Script> script_;
};

/// The arguments of one retry question.
struct RetryQuestion {
    fluxgate::TimePoint changed_at;
    int reopens;
    fluxgate::TimePoint now;
};

/// A retry that returns the value the test sets and keeps every question.
class ScriptedRetry final : public fluxgate::retries::Retry {
public:
    struct Script {
        std::atomic<bool> answer{false};
        SharedList<RetryQuestion> questions;
    };

    ScriptedRetry() : script_(std::make_shared<Script>()) {}

    [[nodiscard]] bool operator()(fluxgate::TimePoint changed_at, int reopens,
                                  fluxgate::TimePoint now) const override {
        script_->questions.push(RetryQuestion{changed_at, reopens, now});
        return script_->answer.load();
    }

    void set(bool answer) const { script_->answer.store(answer); }
    [[nodiscard]] std::vector<RetryQuestion> questions() const { return script_->questions.snapshot(); }

private:
    std::shared_ptr<Script> script_;
};

/// The arguments of one permit question.
struct PermitQuestion {
    fluxgate::TimePoint changed_at;
    fluxgate::TimePoint now;
};

/// A permit that returns the value the test sets and keeps every question.
class ScriptedPermit final : public fluxgate::permits::Permit {
public:
    struct Script {
        std::atomic<bool> answer{true};
        SharedList<PermitQuestion> questions;
    };

    ScriptedPermit() : script_(std::make_shared<Script>()) {}

    [[nodiscard]] bool operator()(fluxgate::TimePoint changed_at, fluxgate::TimePoint now) const override {
        script_->questions.push(PermitQuestion{changed_at, now});
        return script_->answer.load();
    }

    void set(bool answer) const { script_->answer.store(answer); }
    [[nodiscard]] std::vector<PermitQuestion> questions() const { return script_->questions.snapshot(); }

private:
    std::shared_ptr<Script> script_;
};

/// Records every signal its listeners receive, in the order received.
class SignalLog {
public:
    SignalLog() : signals_(std::make_shared<SharedList<fluxgate::Signal>>()) {}

    /// Returns a listener that appends each signal to this log.
    [[nodiscard]] fluxgate::listeners::Listener listener() const {
        return [signals = signals_](const fluxgate::Signal& signal) { signals->push(signal); };
    }

    [[nodiscard]] std::vector<fluxgate::Signal> signals() const { return signals_->snapshot(); }
    [[nodiscard]] std::size_t size() const { return signals_->size(); }

    [[nodiscard]] std::vector<Transition> transitions() const {
        std::vector<Transition> result;
        for (const fluxgate::Signal& signal : signals_->snapshot()) {
            result.emplace_back(signal.old_state, signal.new_state);
        }
        return result;
    }

private:
    std::shared_ptr<SharedList<fluxgate::Signal>> signals_;
};

/// Sends the error handler's messages to a list for the guard's lifetime,
/// then restores the previous handler.
class CapturedErrors {
public:
    CapturedErrors() : messages_(std::make_shared<SharedList<std::string>>()) {
        previous_ = fluxgate::set_error_handler(
            [messages = messages_](std::string_view message) { messages->push(std::string(message)); });
    }

    CapturedErrors(const CapturedErrors&) = delete;
    CapturedErrors& operator=(const CapturedErrors&) = delete;

    ~CapturedErrors() { fluxgate::set_error_handler(std::move(previous_)); }

    [[nodiscard]] std::vector<std::string> messages() const { return messages_->snapshot(); }

private:
    std::shared_ptr<SharedList<std::string>> messages_;
    fluxgate::ErrorHandler previous_;
};

}  // namespace fluxgate_test
