// docs/concepts.md: the ways to run a call through a breaker.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

struct Quote {
    std::string pair;
    double bid = 0.0;
};

struct Response {
    int status = 200;
};

// Stand-ins for a quote service: an unknown pair fails with an exception,
// and `send` returns the status 503 for the path "/overloaded".
Quote fetch_quote(const std::string& pair) {
    if (pair == "XXXYYY") {
        throw std::runtime_error("unknown pair " + pair);
    }
    return Quote{pair, 1.08};
}

Response send(const std::string& path) { return Response{path == "/overloaded" ? 503 : 200}; }

}  // namespace

int main() {
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{.clock = clock, .name = "quotes"}};
    const Quote last_quote{"EURUSD", 1.07};

    // [start:call-forms]
    // call: returns the result, rethrows what the callable throws, and throws
    // CallNotPermittedError without running it when the circuit rejects the call.
    Quote quote = breaker.call(fetch_quote, "EURUSD");

    // call_classified: a returned value can count as a failure too. The value
    // is returned either way.
    Response response = breaker.call_classified(
        send, [](const Response& r) { return r.status >= 500; }, "/overloaded");

    // call_with_fallback: a rejection or an exception goes to the fallback,
    // whose result is returned instead.
    Quote quote_or_last = breaker.call_with_fallback(
        fetch_quote, [&](const std::exception&) { return last_quote; }, "XXXYYY");

    // wrap: a callable that runs every call through the breaker. The breaker
    // must outlive it.
    auto guarded_fetch = breaker.wrap(fetch_quote);
    auto fetch_or_last = breaker.wrap(fetch_quote, [&](const std::exception&) { return last_quote; });
    Quote yen = guarded_fetch("USDJPY");
    Quote swiss = fetch_or_last("USDCHF");
    // [end:call-forms]

    check(quote.bid == 1.08 && yen.pair == "USDJPY" && swiss.pair == "USDCHF", "the calls return their results");
    check(response.status == 503, "call_classified returns the value it counts as a failure");
    check(quote_or_last.bid == 1.07, "call_with_fallback returns the fallback's result");
    fg::Info info = breaker.info();
    check(info.calls.successful == 3 && info.calls.failed == 2, "3 successes and 2 failures are recorded");

    // [start:permission]
    struct PendingRequest {
        std::string path;
        fg::Permission permission;
    };
    std::vector<PendingRequest> in_flight;

    // When a request is about to start:
    if (std::optional<fg::Permission> permission = breaker.try_acquire()) {
        in_flight.push_back({"/quotes/EURUSD", std::move(*permission)});
    } else {
        // Rejected: serve a cached value, or tell the caller to try later.
    }

    // When the event loop receives the response, report the outcome. The
    // duration is measured from try_acquire(). success(duration) and
    // failure(duration) take one you measured yourself.
    for (PendingRequest& request : in_flight) {
        const int status = send(request.path).status;
        if (status >= 500) {
            request.permission.failure();
        } else {
            request.permission.success();
        }
    }
    in_flight.clear();

    // A permission destroyed without an outcome records nothing, so a request
    // abandoned at shutdown never counts as a failure.
    {
        std::optional<fg::Permission> abandoned = breaker.try_acquire();
    }
    // [end:permission]

    info = breaker.info();
    check(info.calls.successful == 4 && info.calls.failed == 2, "the permission's success is recorded once");
    check(info.metrics.total_count == 6, "the abandoned permission records nothing");
}
