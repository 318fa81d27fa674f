// docs/configurations.md: a breaker in front of a third-party HTTP API.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

struct ChargeRequest {
    std::string card_token;
    long amount_cents = 0;
};

struct HttpResponse {
    int status = 200;
    std::string body;
};

// Thrown by the HTTP client when the gateway does not respond in time.
class GatewayTimeout : public std::runtime_error {
public:
    GatewayTimeout() : std::runtime_error("payment gateway timed out") {}
};

int g_next_status = 200;

// Stand-in for the HTTP client: every response has the status g_next_status.
HttpResponse post_charge(const ChargeRequest& request) {
    if (request.card_token.empty()) {
        throw std::system_error(std::make_error_code(std::errc::connection_refused), "payment gateway");
    }
    return HttpResponse{g_next_status, "{}"};
}

}  // namespace

// [start:http-client]
fg::Options payment_gateway_options() {
    using namespace fg::trippers;
    return {
        .window = fg::windows::TimeWindow(60s),
        .tracker = fg::trackers::TypeOf<std::system_error, GatewayTimeout>(),
        .tripper = FailureStreak(10) | (MinRequests(20) & (FailureRate(0.5) | SlowRate(0.5, 2s))),
        .retry = fg::retries::Backoff(15s, 2.0, 5min, 0.2),
        .permit = fg::permits::RampUp(0.1, 1.0, 60s),
        .max_half_open_calls = 5,
        .listeners = {fg::listeners::LogListener("payment-gateway")},
        .name = "payment-gateway",
    };
}

// One breaker per upstream, shared by every thread that calls it.
fg::CircuitBreaker gateway{payment_gateway_options()};

HttpResponse charge(const ChargeRequest& request) {
    // 5xx and 429 mean the gateway is in trouble. Other 4xx are the caller's
    // mistake: they are returned as successes and never open the circuit.
    return gateway.call_classified(
        post_charge, [](const HttpResponse& response) { return response.status >= 500 || response.status == 429; },
        request);
}
// [end:http-client]

int main() {
    check(charge({"tok_visa", 1999}).status == 200, "a charge goes through");
    g_next_status = 402;
    check(charge({"tok_visa", 1999}).status == 402, "a declined card is returned");
    g_next_status = 503;
    for (int i = 0; i < 10; ++i) {
        charge({"tok_visa", 1999});
    }
    check(gateway.state() == fg::State::open, "ten 503 responses in a row open the circuit");
    try {
        charge({"tok_visa", 1999});
        check(false, "an open circuit rejects the charge");
    } catch (const fg::CallNotPermittedError& rejected) {
        check(std::string(rejected.what()) == "circuit breaker 'payment-gateway' is open", "the error names the breaker");
    }
    const fg::Info info = gateway.info();
    check(info.calls.successful == 2 && info.calls.failed == 10, "402 counts as a success, 503 as a failure");
}
