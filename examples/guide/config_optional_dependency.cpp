// docs/configurations.md: a breaker in front of a dependency the page can
// do without, with a fallback.

#include <fluxgate/fluxgate.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

bool g_service_up = true;

// Stand-in for the recommendation service client.
std::vector<std::string> fetch_recommendations(const std::string& product_id) {
    if (!g_service_up) {
        throw std::runtime_error("recommendations: 503");
    }
    return {product_id + "-case", product_id + "-charger"};
}

}  // namespace

// [start:optional-dependency]
// Product pages show recommendations when the service responds quickly, and
// render without them otherwise. A 10-second window reacts within seconds,
// and Random(0.2) lets a fifth of the calls probe while HALF_OPEN.
fg::CircuitBreaker recommendations{{
    .window = fg::windows::TimeWindow(10s),
    .tripper = fg::trippers::MinRequests(20) &
               (fg::trippers::FailureRate(0.2) | fg::trippers::AvgLatency(300ms)),
    .retry = fg::retries::Cooldown(5s, 0.2),
    .permit = fg::permits::Random(0.2),
    .name = "recommendations",
}};

// Rejected and failed calls both fall back to an empty list. The breaker
// must outlive this callable.
auto recommended_for = recommendations.wrap(fetch_recommendations, [](const std::exception&) {
    return std::vector<std::string>{};
});
// [end:optional-dependency]

int main() {
    check(recommended_for("phone-1").size() == 2, "the service returns two recommendations");
    g_service_up = false;
    for (int i = 0; i < 30; ++i) {
        check(recommended_for("phone-1").empty(), "failures fall back to an empty list");
    }
    check(recommendations.state() == fg::State::open, "the failures open the circuit");
    check(recommendations.info().calls.rejected > 0, "calls are then rejected and still fall back");
}
