// docs/windows.md: the built-in windows, used directly, and a window of
// your own.

#include <fluxgate/fluxgate.hpp>

#include <cstddef>
#include <deque>
#include <iostream>
#include <memory>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
using namespace fg::trippers;

// [start:custom-window]
// The last `max_calls` calls, but none older than `max_age`: a count window
// that also drops a burst of failures once it is older than `max_age`.
class RecentCalls final : public fg::windows::Window {
public:
    RecentCalls(std::size_t max_calls, fg::Duration max_age) : max_calls_(max_calls), max_age_(max_age) {}

    void record(const fg::Record& record) override {
        records_.push_back(record);
        if (records_.size() > max_calls_) {
            records_.pop_front();
        }
    }

    // O(max_calls) per read. The built-in windows keep a running total instead.
    fg::Metric get_metric(fg::TimePoint now) const override {
        fg::Metric metric;
        for (const fg::Record& record : records_) {
            if (now - record.timestamp < max_age_) {
                metric += fg::Metric(record);
            }
        }
        return metric;
    }

    void reset() override { records_.clear(); }

private:
    std::size_t max_calls_;
    fg::Duration max_age_;
    std::deque<fg::Record> records_;
};
// [end:custom-window]

int main() {
    // [start:time-window]
    fg::windows::TimeWindow window(60s);
    const fg::TimePoint start{};  // a monotonic time, as the breaker's clock returns it

    window.record(fg::Record{.success = false, .duration = 2s, .timestamp = start + 10s});
    window.record(fg::Record{.success = true, .duration = 40ms, .timestamp = start + 30s});

    fg::Metric at_40s = window.get_metric(start + 40s);  // seconds 0..40: both calls
    fg::Metric at_70s = window.get_metric(start + 70s);  // seconds 11..70: the success only
    fg::Metric at_95s = window.get_metric(start + 95s);  // seconds 36..95: empty
    std::cout << at_40s.total_count << ' ' << at_70s.total_count << ' ' << at_95s.total_count << '\n';  // 2 1 0
    // [end:time-window]

    check(at_40s.total_count == 2 && at_40s.failure_count == 1, "at 40s the window holds both calls");
    check(at_70s.total_count == 1 && at_70s.failure_count == 0, "at 70s the failure from second 10 has expired");
    check(at_95s.total_count == 0, "at 95s both calls have expired");

    // [start:custom-window-use]
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker{{
        .window = RecentCalls(50, 5min),
        .tripper = MinRequests(10) & FailureRate(0.5),
        .clock = clock,
    }};
    // [end:custom-window-use]

    for (int i = 0; i < 10; ++i) {
        breaker.call([] { return 0; });
    }
    check(breaker.info().metrics.total_count == 10, "the custom window holds 10 calls");
    clock->advance(6min);
    check(breaker.info().metrics.total_count == 0, "calls older than 5 minutes are forgotten");
}
