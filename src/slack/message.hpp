#pragma once

// The JSON that goes to and comes back from chat.postMessage. Kept apart from
// the transport so that the payload can be built and read without a network.

#include <string>
#include <string_view>

#include <fluxgate/slack.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate::detail {

/// One message to post: the transition and where in the channel it goes.
struct SlackMessage {
    std::string_view channel;
    std::string_view breaker_name;
    Signal signal;
    /// `ts` of the thread to reply in; empty for a message in the channel.
    std::string_view thread_ts;
};

/// Returns the JSON body of chat.postMessage for `message`. Invalid UTF-8 in
/// any text is replaced by U+FFFD, so this never throws for bad text.
[[nodiscard]] std::string build_slack_payload(const listeners::SlackTemplates& templates,
                                              const SlackMessage& message);

/// The parts of Slack's reply that the listener acts on.
struct SlackReply {
    bool ok = false;
    /// `ts` of the posted message; empty unless `ok`.
    std::string ts;
    /// Slack's error code, such as `channel_not_found`, or a description of
    /// why the body could not be read.
    std::string error;
};

/// Reads a chat.postMessage response body.
[[nodiscard]] SlackReply parse_slack_reply(std::string_view body);

/// Formats `time` in the local time zone with the `strftime` format `format`.
[[nodiscard]] std::string format_local_time(WallTime time, const std::string& format);

/// Returns `text` with every occurrence of `token` replaced by `[token]`.
[[nodiscard]] std::string mask_token(std::string text, std::string_view token);

/// Escapes `&`, `<` and `>` as Slack's mrkdwn requires for literal text.
[[nodiscard]] std::string escape_mrkdwn(std::string_view text);

}  // namespace fluxgate::detail
