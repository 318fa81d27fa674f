// docs/trackers.md: choosing which exceptions count as failures, writing a
// tracker, and counting returned values as failures.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

// Thrown by an HTTP client for any response that is not 2xx.
class HttpError : public std::runtime_error {
public:
    explicit HttpError(int status) : std::runtime_error("HTTP " + std::to_string(status)), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

// Thrown when a request names a record that does not exist.
class NotFound : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace

// [start:custom-tracker]
// Counts server errors (5xx) and 429 as failures. Other client errors are the
// caller's fault: they propagate without being recorded.
class ServerErrors final : public fg::trackers::Tracker {
public:
    bool operator()(const std::exception& error) const override {
        const auto* http = dynamic_cast<const HttpError*>(&error);
        return http != nullptr && (http->status() >= 500 || http->status() == 429);
    }
};
// [end:custom-tracker]

int main() {
    using namespace fg::trackers;

    // [start:builtin-trackers]
    // Every exception is a failure (the default).
    auto everything = All();
    // Network errors and HTTP errors, including classes derived from them.
    auto transport = TypeOf<std::system_error, HttpError>();
    // A predicate over the exception.
    auto timeouts = Custom([](const std::exception& error) {
        const auto* network = dynamic_cast<const std::system_error*>(&error);
        return network != nullptr && network->code() == std::errc::timed_out;
    });
    // Composition: & (both), | (either) and ~ (not).
    auto real_failures = TypeOf<std::runtime_error>() & ~TypeOf<NotFound>();
    auto with_timeouts = ServerErrors() | timeouts;
    // [end:builtin-trackers]

    const std::system_error timed_out(std::make_error_code(std::errc::timed_out));
    check(everything(NotFound("x")), "All counts every exception");
    check(transport(HttpError(503)) && !transport(NotFound("x")), "TypeOf counts only its types");
    check(timeouts(timed_out), "Custom applies its predicate");
    check(real_failures(HttpError(500)) && !real_failures(NotFound("x")), "~ excludes NotFound");
    check(with_timeouts(HttpError(503)) && with_timeouts(timed_out) && !with_timeouts(HttpError(404)),
          "| combines a user tracker with a built-in one");

    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{.tracker = ServerErrors(), .clock = clock, .name = "catalog"}};
    try {
        breaker.call([]() -> int { throw HttpError(404); });
    } catch (const HttpError&) {
    }
    check(breaker.info().calls.ignored == 1 && breaker.info().metrics.total_count == 0,
          "a 404 propagates without being recorded");

    // [start:value-failures]
    // A status code returned as a value: 5xx counts as a failure, and the
    // response is returned either way.
    auto get_status = [](const std::string& path) { return path == "/overloaded" ? 503 : 200; };
    int status = breaker.call_classified(get_status, [](int code) { return code >= 500; }, "/overloaded");

    // An std::error_code returned instead of thrown.
    auto write_record = []() -> std::error_code { return std::make_error_code(std::errc::connection_reset); };
    std::error_code written = breaker.call_classified(write_record, [](std::error_code code) {
        return static_cast<bool>(code);
    });
    // [end:value-failures]

    check(status == 503 && written == std::errc::connection_reset, "call_classified returns the values");
    check(breaker.info().calls.failed == 2, "both returned values are recorded as failures");
}
