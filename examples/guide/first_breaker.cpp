// The README's first example: one breaker in front of an inventory service,
// used through `call` and through the two-step `try_acquire`.

// [start:first-breaker]
#include <fluxgate/fluxgate.hpp>

#include <iostream>
#include <string>
#include <system_error>

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

// Your client for the inventory service. It returns the stock level and
// throws std::system_error when the network fails.
int fetch_stock(const std::string& sku);
// The same request in callback style: `on_done(http_status)` runs later.
template <class Callback>
void fetch_stock_async(const std::string& sku, Callback on_done);

int main() {
    fg::CircuitBreaker breaker{{
        .window = fg::windows::TimeWindow(60s),
        .tracker = fg::trackers::TypeOf<std::system_error>(),
        .tripper = FailureStreak(5) | (MinRequests(20) & (FailureRate(0.5) | SlowRate(0.3, 2s))),
        .retry = fg::retries::Backoff(10s, 2.0, 300s),
        .permit = fg::permits::RampUp(0.1, 1.0, 60s),
        .listeners = {fg::listeners::LogListener("inventory")},
        .name = "inventory",
    }};

    // One step: the breaker runs the call, times it and records the outcome.
    try {
        int stock = breaker.call(fetch_stock, std::string("sku-42"));
        std::cout << "sku-42: " << stock << " in stock\n";
    } catch (const fg::CallNotPermittedError& rejected) {
        std::cout << "not sent: " << rejected.what() << '\n';  // circuit breaker 'inventory' is open
    } catch (const std::system_error& error) {
        std::cout << "failed: " << error.what() << '\n';  // recorded as a failure
    }

    // Two steps, for callbacks and event loops: take a permission now and
    // report the outcome when the response arrives.
    if (auto permission = breaker.try_acquire()) {
        fetch_stock_async("sku-7", [p = std::move(*permission)](int http_status) mutable {
            if (http_status >= 500) {
                p.failure();
            } else {
                p.success();
            }
        });
    } else {
        std::cout << "not sent: the circuit is open\n";
    }
}
// [end:first-breaker]

// Stand-ins for the inventory client, so that the example runs.
int fetch_stock(const std::string& sku) {
    if (sku.empty()) {
        throw std::system_error(std::make_error_code(std::errc::connection_refused), "inventory");
    }
    return 12;
}

template <class Callback>
void fetch_stock_async(const std::string& sku, Callback on_done) {
    on_done(sku.empty() ? 503 : 200);
}
