#pragma once

/// @file
/// `SlackListener`: posts every transition to a Slack channel, one thread per
/// failure cycle, without ever delaying the protected call.
///
/// Part of the optional target `fluxgate::slack`, built when libcurl and
/// nlohmann-json are found.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <fluxgate/state.hpp>

namespace fluxgate::detail {
class SlackDelivery;
}  // namespace fluxgate::detail

namespace fluxgate::listeners {

/// Title, colour and description of the message for one kind of transition.
struct SlackTemplate {
    /// Shown in bold as the first line; may use Slack's mrkdwn.
    std::string title;
    /// Colour of the attachment's side bar, such as `#FF4C4C`.
    std::string color;
    /// Shown in the description field; may use Slack's mrkdwn.
    std::string description;
};

/// Every text a `SlackListener` posts: one template per transition of a
/// failure cycle, a fallback for the other transitions, the field labels and
/// the time format. The texts default to the English ones of the Python
/// Fluxgate, so a team overrides only what it translates.
///
/// Texts are UTF-8 and reach Slack unchanged; invalid UTF-8 is replaced by
/// U+FFFD. Templates and labels are sent as written, so they may contain
/// mrkdwn and links, while the breaker's name is escaped.
struct SlackTemplates {
    /// Posted when a failure cycle starts; it opens the Slack thread.
    SlackTemplate closed_to_open{"🚨 Circuit Breaker Triggered", "#FF4C4C",
                                 "The request failure rate exceeded the threshold."};
    /// Posted when the circuit starts probing.
    SlackTemplate open_to_half_open{"🔄 Attempting Circuit Breaker Recovery", "#FFA500",
                                    "Testing service status with partial requests."};
    /// Posted when a probe fails and the circuit reopens.
    SlackTemplate half_open_to_open{"⚠️ Circuit Breaker Re-triggered", "#FF4C4C",
                                    "Test request failed, reverting to open state."};
    /// Posted when the circuit recovers; it is also broadcast to the channel.
    SlackTemplate half_open_to_closed{"✅ Circuit Breaker Recovered", "#36a64f",
                                      "Test request succeeded, service is now healthy."};
    /// Used for every other transition, manual ones included.
    SlackTemplate fallback{"ℹ️ Circuit Breaker State Changed", "#808080", "Circuit breaker state has been changed."};

    /// Label of the field that shows the breaker's name.
    std::string breaker_label = "Circuit Breaker";
    /// Label of the field that shows `old -> new`.
    std::string transition_label = "State Transition";
    /// Label of the field that shows the transition's local time.
    std::string time_label = "Transition Time";
    /// Label of the field that shows the template's description.
    std::string description_label = "Description";
    /// `strftime` format of the transition's wall-clock time, shown in the
    /// process's local time zone. The default adds the zone's abbreviation
    /// to the Python Fluxgate's format.
    std::string time_format = "%Y-%m-%d %H:%M:%S %Z";

    /// Returns the template for the transition from `old_state` to `new_state`.
    [[nodiscard]] const SlackTemplate& for_transition(State old_state, State new_state) const noexcept;
};

/// Delivery settings and message texts of a `SlackListener`.
struct SlackOptions {
    /// Base address of the Slack Web API; messages go to
    /// `<api_url>/chat.postMessage`. Change it for tests or for a
    /// Slack-compatible gateway. Must be https unless the host is
    /// `127.0.0.1` or `::1`.
    std::string api_url = "https://slack.com/api";
    /// Titles, colours, descriptions and labels of the messages.
    SlackTemplates templates;
    /// Messages that may wait for the worker, not counting the one being
    /// sent; when the queue is full, the newest message is dropped. At least 1.
    std::size_t queue_capacity = 100;
    /// Limit on each request, from connecting to reading the response.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(5);
    /// Attempts per message, the first included, for errors that may be
    /// retried: HTTP 429, HTTP 5xx, `ok: false` with `ratelimited`, and
    /// connection failures before anything was sent. At least 1.
    int max_attempts = 3;
    /// Wait before the second attempt when Slack gives no `Retry-After`;
    /// it doubles for each later attempt.
    std::chrono::milliseconds retry_delay = std::chrono::seconds(1);
    /// Upper bound on any wait between attempts, `Retry-After` included.
    std::chrono::milliseconds max_retry_delay = std::chrono::seconds(60);
    /// How long destroying the last copy of the listener may spend sending
    /// the messages still queued; what is left then is dropped. May be 0.
    std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);
    /// Verify the server's TLS certificate. May be false only when the host
    /// of `api_url` is `127.0.0.1` or `::1`.
    bool verify_tls = true;
};

/// Delivery counters of a `SlackListener`, shared by all its copies.
struct SlackStats {
    /// Messages Slack accepted (`ok: true`).
    std::uint64_t sent = 0;
    /// Messages given up after an error that is not retried or after the
    /// last attempt.
    std::uint64_t failed = 0;
    /// Messages never sent: the queue was full, or they were still queued,
    /// being sent or waiting for a retry when the shutdown timeout ran out.
    std::uint64_t dropped = 0;
    /// Attempts beyond the first, over all messages.
    std::uint64_t retries = 0;
};

/// Posts every transition of a breaker to a Slack channel with
/// `chat.postMessage`, as the Python Fluxgate's Slack listener does.
///
/// ```cpp
/// fluxgate::listeners::SlackListener slack("payments-api", "C0123456789", token);
/// fluxgate::CircuitBreaker breaker{{.listeners = {slack}}};
/// ```
///
/// Threads: a transition to `open` that finds no thread starts one, and
/// later messages reply in it. The message for `closed` is also broadcast to
/// the channel. Transitions to `closed`, `disabled` and `metrics_only` end
/// the thread, so the next `open` starts a new one.
///
/// Delivery: `operator()` only puts the transition in a bounded queue and
/// returns; one background thread per listener sends the messages in order.
/// Each request is bounded by `request_timeout`. Errors are passed to the
/// error handler (see `set_error_handler`) and counted. The errors listed at
/// `SlackOptions::max_attempts` are retried after `Retry-After` or a growing
/// delay, before the next message is sent, so messages are never reordered.
/// A timeout is not retried, because Slack may already have posted the
/// message. The token appears in no reported line and no exception message.
///
/// Destroying the last copy sends what is still queued for up to
/// `shutdown_timeout`, then abandons the rest and returns.
///
/// Thread safety: distinct objects, safe; shared object, safe. Copies share
/// one queue, one worker thread and one set of counters.
class SlackListener {
public:
    /// Posts the transitions of the breaker called `name` to `channel` (an
    /// id such as `C0123456789` or a name such as `#alerts`) with the bot
    /// token `token`, which needs the `chat:write` scope. Starts the worker.
    ///
    /// Throws `std::invalid_argument` for an empty name, channel or token, a
    /// token with control characters, or invalid options.
    SlackListener(std::string name, std::string channel, std::string token, SlackOptions options = {});

    /// Queues the message for `signal`; never waits for the network. If the
    /// queue is full the message is dropped, counted and reported.
    void operator()(const Signal& signal) const noexcept;

    /// Returns the delivery counters.
    [[nodiscard]] SlackStats stats() const noexcept;

    /// Waits until every queued message has been sent or given up, for at
    /// most `timeout`. Returns true if the queue is empty and no message is
    /// being sent.
    bool flush(std::chrono::milliseconds timeout) const;

private:
    std::shared_ptr<detail::SlackDelivery> delivery_;
};

}  // namespace fluxgate::listeners
