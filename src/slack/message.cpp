#include "message.hpp"

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fluxgate::detail {

namespace {

using nlohmann::json;

json mrkdwn_field(std::string_view label, std::string_view value) {
    std::string text = "*";
    text.append(label).append(":*\n").append(value);
    return {{"type", "mrkdwn"}, {"text", std::move(text)}};
}

}  // namespace

std::string build_slack_payload(const listeners::SlackTemplates& templates, const SlackMessage& message) {
    const Signal& signal = message.signal;
    const listeners::SlackTemplate& chosen = templates.for_transition(signal.old_state, signal.new_state);
    const std::string name = escape_mrkdwn(message.breaker_name);
    std::string transition(to_string(signal.old_state));
    transition.append(" → ").append(to_string(signal.new_state));

    json fields = json::array({
        mrkdwn_field(templates.breaker_label, name),
        mrkdwn_field(templates.transition_label, transition),
        mrkdwn_field(templates.time_label, format_local_time(signal.timestamp, templates.time_format)),
        mrkdwn_field(templates.description_label, chosen.description),
    });
    json title = {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "*" + chosen.title + "*"}}}};
    json attachment = {
        {"color", chosen.color},
        // Plain text for notifications and clients that cannot show blocks.
        {"fallback", chosen.title + ": " + name + " " + transition},
        {"blocks", json::array({std::move(title), {{"type", "section"}, {"fields", std::move(fields)}}})},
    };
    json payload = {{"channel", message.channel}, {"attachments", json::array({std::move(attachment)})}};

    if (!message.thread_ts.empty()) {
        payload["thread_ts"] = message.thread_ts;
        // A thread is only seen by those who open it, so recovery is also
        // shown in the channel.
        if (signal.new_state == State::closed) {
            payload["reply_broadcast"] = true;
        }
    }
    return payload.dump(-1, ' ', false, json::error_handler_t::replace);
}

SlackReply parse_slack_reply(std::string_view body) {
    SlackReply reply;
    const json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        reply.error = "response is not a JSON object";
        return reply;
    }
    const auto ok = parsed.find("ok");
    reply.ok = ok != parsed.end() && ok->is_boolean() && ok->get<bool>();
    if (const auto ts = parsed.find("ts"); ts != parsed.end() && ts->is_string()) {
        reply.ts = ts->get<std::string>();
    }
    if (const auto error = parsed.find("error"); error != parsed.end() && error->is_string()) {
        reply.error = error->get<std::string>();
    }
    if (!reply.ok && reply.error.empty()) {
        reply.error = "response has no \"ok\": true and no error";
    }
    return reply;
}

std::string format_local_time(WallTime time, const std::string& format) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(
        std::chrono::time_point_cast<std::chrono::system_clock::duration>(time));
    std::tm local{};
    localtime_r(&seconds, &local);

    // strftime returns 0 both when the buffer is too small and when the
    // result is empty, so the buffer grows a bounded number of times.
    std::vector<char> buffer(128);
    for (int growth = 0; growth < 6; ++growth) {
        const std::size_t length = std::strftime(buffer.data(), buffer.size(), format.c_str(), &local);
        if (length > 0) {
            return std::string(buffer.data(), length);
        }
        buffer.resize(buffer.size() * 2);
    }
    return {};
}

std::string mask_token(std::string text, std::string_view token) {
    if (token.empty()) {
        return text;
    }
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
        text.replace(at, token.size(), "[token]");
    }
    return text;
}

std::string escape_mrkdwn(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': escaped.append("&amp;"); break;
            case '<': escaped.append("&lt;"); break;
            case '>': escaped.append("&gt;"); break;
            default: escaped.push_back(c);
        }
    }
    return escaped;
}

}  // namespace fluxgate::detail
