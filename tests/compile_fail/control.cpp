// Must compile: every public header and each composition the API allows,
// with the same command the failing cases use.

#include <fluxgate/fluxgate.hpp>

#include <chrono>
#include <stdexcept>
#include <system_error>

using namespace std::chrono_literals;
namespace fg = fluxgate;

void use_public_api() {
    using namespace fg::trippers;
    namespace trackers = fg::trackers;

    [[maybe_unused]] auto tracker =
        (trackers::TypeOf<std::system_error, std::runtime_error>() | trackers::All()) & ~~trackers::All();
    [[maybe_unused]] auto tripper = FailureStreak(5) | (MinRequests(20) & (FailureRate(0.5) | SlowRate(0.3, 1s)));
    [[maybe_unused]] auto state_rule = (HalfOpened() & FailureStreak(1)) | (Closed() & FailureRate(0.5));
    [[maybe_unused]] fg::retries::Backoff retry(10s, 2.0, 600s);
    [[maybe_unused]] fg::permits::RampUp permit(0.1, 1.0, 60s);
    [[maybe_unused]] fg::windows::TimeWindow window(60s);
    [[maybe_unused]] fg::listeners::LogListener listener("payments-api");
}
