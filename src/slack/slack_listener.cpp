#include <fluxgate/slack.hpp>

#include <cstdio>
#include <algorithm>
#include <limits>
#include <optional>
#include <memory>
#include <string>
#include <utility>

#include <fluxgate/detail/validate.hpp>

#include "delivery.hpp"
#include "http_client.hpp"
#include "message.hpp"

namespace fluxgate::listeners {

const SlackTemplate& SlackTemplates::for_transition(State old_state, State new_state) const noexcept {
    if (old_state == State::closed && new_state == State::open) {
        return closed_to_open;
    }
    if (old_state == State::open && new_state == State::half_open) {
        return open_to_half_open;
    }
    if (old_state == State::half_open && new_state == State::open) {
        return half_open_to_open;
    }
    if (old_state == State::half_open && new_state == State::closed) {
        return half_open_to_closed;
    }
    return fallback;
}

namespace {

constexpr std::string_view kComponent = "SlackListener";

std::string quoted(std::string_view text) {
    std::string result = "\"";
    result.append(text).append("\"");
    return result;
}

void check_not_empty(std::string_view parameter, const std::string& value) {
    if (value.empty()) {
        detail::throw_invalid(kComponent, parameter, "non-empty", "an empty string");
    }
}

// The token goes into an HTTP header, so it must not be able to end the line.
// The message gives the offending character's position, never the token.
void check_token(const std::string& token) {
    check_not_empty("token", token);
    for (std::size_t i = 0; i < token.size(); ++i) {
        const auto c = static_cast<unsigned char>(token[i]);
        if (c < 0x21 || c > 0x7e) {
            char code[8];
            std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(c));
            detail::throw_invalid(kComponent, "token", "printable ASCII without spaces",
                                  std::string("byte ") + code + " at index " + std::to_string(i));
        }
    }
}

// Checks the address and returns the request's configuration. Plain http
// and unverified TLS would expose the token on the network, so both are
// allowed only towards the local machine. The address is shown with the
// token masked, in case it was put into the URL.
detail::HttpClient::Config http_config(const std::string& token, const SlackOptions& options) {
    const std::string shown = quoted(detail::mask_token(options.api_url, token));
    const std::optional<detail::UrlParts> url = detail::split_url(options.api_url);
    if (!url || (url->scheme != "https" && url->scheme != "http")) {
        detail::throw_invalid(kComponent, "api_url", "an absolute http or https URL", shown);
    }
    const bool loopback = detail::is_loopback_host(url->host);
    if (url->scheme == "http" && !loopback) {
        detail::throw_invalid(kComponent, "api_url", "https unless its host is 127.0.0.1 or ::1", shown);
    }
    if (!options.verify_tls && !loopback) {
        detail::throw_invalid(kComponent, "verify_tls", "true unless the host of api_url is 127.0.0.1 or ::1",
                              "false for host " + quoted(detail::mask_token(url->host, token)));
    }

    std::string endpoint = options.api_url;
    while (!endpoint.empty() && endpoint.back() == '/') {
        endpoint.pop_back();
    }
    endpoint.append("/chat.postMessage");
    return {std::move(endpoint), token, options.request_timeout, options.verify_tls, loopback};
}

void check_options(const SlackOptions& options) {
    using std::chrono::milliseconds;
    constexpr auto kMaxCount = static_cast<std::size_t>(std::numeric_limits<long long>::max());
    detail::check_at_least(kComponent, "queue_capacity",
                           static_cast<long long>(std::min(options.queue_capacity, kMaxCount)), 1);
    detail::check_positive(kComponent, "request_timeout", options.request_timeout);
    detail::check_at_least(kComponent, "max_attempts", options.max_attempts, 1);
    detail::check_positive(kComponent, "retry_delay", options.retry_delay);
    if (options.max_retry_delay < options.retry_delay) {
        detail::throw_invalid(kComponent, "max_retry_delay",
                              "at least retry_delay (" + detail::format_duration(options.retry_delay) + ")",
                              detail::format_duration(options.max_retry_delay));
    }
    if (options.shutdown_timeout < milliseconds::zero()) {
        detail::throw_invalid(kComponent, "shutdown_timeout", "at least 0",
                              detail::format_duration(options.shutdown_timeout));
    }
}

}  // namespace

SlackListener::SlackListener(std::string name, std::string channel, std::string token, SlackOptions options) {
    check_not_empty("name", name);
    check_not_empty("channel", channel);
    check_token(token);
    check_options(options);
    const detail::HttpClient::Config http = http_config(token, options);
    delivery_ = std::make_shared<detail::SlackDelivery>(std::move(name), std::move(channel), std::move(token),
                                                        std::move(options), http);
}

void SlackListener::operator()(const Signal& signal) const noexcept { delivery_->enqueue(signal); }

SlackStats SlackListener::stats() const noexcept { return delivery_->stats(); }

bool SlackListener::flush(std::chrono::milliseconds timeout) const { return delivery_->flush(timeout); }

}  // namespace fluxgate::listeners
