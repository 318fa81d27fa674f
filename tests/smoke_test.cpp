#include <fluxgate/fluxgate.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <system_error>

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

namespace {
struct HttpError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
int fetch_status(int id) { return id == 0 ? throw HttpError("boom") : 200; }
int cached_status() { return 1; }
void start_request(auto&& callback) { callback(true); }
}  // namespace

TEST(DesignExample, Compiles) {
    fg::CircuitBreaker breaker{{
        .window = fg::windows::TimeWindow(60s),
        .tracker = fg::trackers::TypeOf<std::system_error, HttpError>(),
        .tripper = FailureStreak(5) | (MinRequests(20) & (FailureRate(0.5) | SlowRate(0.3, 1s))),
        .retry = fg::retries::Backoff(10s, 2.0, 600s),
        .permit = fg::permits::RampUp(0.1, 1.0, 60s),
        .listeners = {fg::listeners::LogListener("payments-api")},
    }};
    fg::CircuitBreaker with_defaults;
    int payment_id = 7;

    int status = breaker.call(fetch_status, payment_id);
    auto guarded = breaker.wrap(fetch_status);
    auto safe = breaker.wrap(fetch_status, [](const std::exception&) { return cached_status(); });
    int s2 = breaker.call_with_fallback(fetch_status, [](const std::exception& e) { (void)e; return 0; }, payment_id);

    if (auto permission = breaker.try_acquire()) {
        start_request([p = std::move(*permission)](bool ok) mutable { ok ? p.success() : p.failure(); });
    }
    fg::Info info = breaker.info();
    fg::State s = breaker.state();
    EXPECT_EQ(fg::to_string(s), "closed");
    breaker.metrics_only(); breaker.disable(); breaker.force_open(); breaker.reset();

    EXPECT_EQ(status, 200);
    EXPECT_EQ(guarded(3), 200);
    EXPECT_EQ(safe(0), 1);
    EXPECT_EQ(s2, 200);
    EXPECT_EQ(info.metrics.total_count, 3);
    EXPECT_EQ(with_defaults.state(), fg::State::closed);
}

class ErrorBudget final : public fg::trippers::Tripper {
public:
    bool operator()(const fg::trippers::CallContext& ctx) const override {
        return ctx.metric.failure_count > 10;
    }
};

TEST(DesignExample, UserTripperComposes) {
    auto tripper = ErrorBudget() | FailureStreak(3);
    EXPECT_EQ(tripper.leaves().size(), 2u);
}
