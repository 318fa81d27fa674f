#include <fluxgate/prometheus.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fluxgate/fluxgate.hpp>

#include "exposition_parsing.hpp"
#include "support/expect_throw.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
namespace prom = fluxgate::prometheus;
using fluxgate::listeners::PrometheusListener;
using fluxgate::test::count_lines_starting_with;
using fluxgate::test::family_grouping_problem;
using fluxgate::test::sample_value;

namespace {

// Collects the messages passed to fluxgate::report_error while it lives.
class CapturedErrors {
public:
    CapturedErrors()
        : previous_(fg::set_error_handler([messages = messages_](std::string_view message) {
              messages->push_back(std::string(message));
          })) {}
    CapturedErrors(const CapturedErrors&) = delete;
    CapturedErrors& operator=(const CapturedErrors&) = delete;
    ~CapturedErrors() { fg::set_error_handler(std::move(previous_)); }

    [[nodiscard]] const std::vector<std::string>& messages() const { return *messages_; }

private:
    std::shared_ptr<std::vector<std::string>> messages_ = std::make_shared<std::vector<std::string>>();
    fg::ErrorHandler previous_;
};

// A count window whose get_metric throws while `failing` is set.
class FailingWindow final : public fg::windows::Window {
public:
    explicit FailingWindow(std::shared_ptr<std::atomic<bool>> failing) : failing_(std::move(failing)) {}

    void record(const fg::Record& record) override { inner_.record(record); }
    [[nodiscard]] fg::Metric get_metric(fg::TimePoint now) const override {
        if (failing_->load()) {
            throw std::runtime_error("window storage unavailable");
        }
        return inner_.get_metric(now);
    }
    void reset() override { inner_.reset(); }

private:
    std::shared_ptr<std::atomic<bool>> failing_;
    fg::windows::CountWindow inner_{10};
};

struct TestBreakerOptions {
    std::string name = "payments";
    std::vector<fg::listeners::Listener> listeners;
};

// A breaker that opens after two consecutive failures, allows a probe 10 s
// later and admits every probe, on a manual clock.
fg::Options streak_options(std::shared_ptr<fg::ManualClock> clock, TestBreakerOptions options) {
    return {
        .window = fg::windows::CountWindow(10),
        .tripper = fg::trippers::FailureStreak(2),
        .retry = fg::retries::Cooldown(10s),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .listeners = std::move(options.listeners),
        .clock = std::move(clock),
        .name = std::move(options.name),
    };
}

// A breaker named `payments` that tracks calls of 1 s or longer and never trips.
fg::Options one_threshold_options() {
    using namespace fg::trippers;
    return {
        .tripper = MinRequests(100) & SlowRate(0.5, 1s),
        .clock = std::make_shared<fg::ManualClock>(),
        .name = "payments",
    };
}

void fail_once(fg::CircuitBreaker& breaker) {
    auto permission = breaker.try_acquire();
    ASSERT_TRUE(permission.has_value());
    permission->failure(1ms);
}

void succeed_once(fg::CircuitBreaker& breaker, fg::Duration duration = 1ms) {
    auto permission = breaker.try_acquire();
    ASSERT_TRUE(permission.has_value());
    permission->success(duration);
}

std::string state_series(std::string_view circuit, std::string_view state) {
    return "circuit_breaker_state{circuit_name=\"" + std::string(circuit) + "\",state=\"" + std::string(state) + "\"}";
}

std::string transition_series(std::string_view circuit, std::string_view old_state, std::string_view new_state) {
    return "circuit_breaker_state_transition_total{circuit_name=\"" + std::string(circuit) + "\",old_state=\"" +
           std::string(old_state) + "\",new_state=\"" + std::string(new_state) + "\"}";
}

std::string calls_series(std::string_view circuit, std::string_view outcome) {
    return "circuit_breaker_calls_total{circuit_name=\"" + std::string(circuit) + "\",outcome=\"" +
           std::string(outcome) + "\"}";
}

std::string slow_series(std::string_view circuit, std::string_view threshold_seconds) {
    return "circuit_breaker_slow_call_ratio{circuit_name=\"" + std::string(circuit) + "\",threshold_seconds=\"" +
           std::string(threshold_seconds) + "\"}";
}

// Checks that `state` is 1 and the other five states are 0.
void expect_only_state(const std::string& text, std::string_view circuit, fg::State current) {
    for (fg::State state : fg::kAllStates) {
        EXPECT_EQ(sample_value(text, state_series(circuit, fg::to_string(state))), state == current ? "1" : "0")
            << "state " << state << " while " << current;
    }
}

}  // namespace

TEST(EscapeLabelValue, EscapesBackslashQuoteAndNewline) {
    EXPECT_EQ(prom::escape_label_value(R"(a\b"c)"), R"(a\\b\"c)");
    EXPECT_EQ(prom::escape_label_value("line one\nline two"), R"(line one\nline two)");
    EXPECT_EQ(prom::escape_label_value("\\\n\""), R"(\\\n\")");
}

TEST(EscapeLabelValue, KeepsOtherCharacters) {
    EXPECT_EQ(prom::escape_label_value(""), "");
    EXPECT_EQ(prom::escape_label_value("tab\there, {braces}=,'quote'"), "tab\there, {braces}=,'quote'");
    EXPECT_EQ(prom::escape_label_value("carriage\rreturn"), "carriage\rreturn");
}

TEST(EscapeLabelValue, PassesValidUtf8Through) {
    const std::string text = "z\xC3\xBCrich \xE2\x98\x82 \xF0\x9D\x84\x9E \xEF\xBF\xBF";  // zürich ☂ 𝄞 U+FFFF

    EXPECT_EQ(prom::escape_label_value(text), text);
}

TEST(EscapeLabelValue, ReplacesInvalidUtf8Bytes) {
    const std::string replacement = "\xEF\xBF\xBD";
    const struct {
        std::string input;
        std::string expected;
    } cases[] = {
        {"\xFF", replacement},
        {"a\xC3", "a" + replacement},                                        // truncated sequence at the end
        {"\xC3(", replacement + "("},                                        // lead byte without continuation
        {"\x80", replacement},                                               // lone continuation byte
        {"\xC0\xAF", replacement + replacement},                             // overlong '/'
        {"\xE0\x80\xAF", replacement + replacement + replacement},           // overlong three-byte form
        {"\xED\xA0\x80", replacement + replacement + replacement},           // UTF-16 surrogate
        {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},  // above U+10FFFF
        {"ok\xF5" "ok", "ok" + replacement + "ok"},
        {"\"\xFE\\", "\\\"" + replacement + "\\\\"},
    };

    for (const auto& [input, expected] : cases) {
        EXPECT_EQ(prom::escape_label_value(input), expected) << "input of " << input.size() << " bytes";
    }
}

TEST(PrometheusRegistry, EmptyRegistryRendersNothing) {
    prom::Registry registry;

    EXPECT_EQ(registry.render(), "");
}

TEST(PrometheusListener, StartsClosedWithAllSixStates) {
    prom::Registry registry;

    const PrometheusListener listener("payments", registry);

    EXPECT_EQ(registry.render(),
              "# HELP circuit_breaker_state State of the circuit breaker: 1 for the current state, 0 for the other "
              "five.\n"
              "# TYPE circuit_breaker_state gauge\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"closed\"} 1\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"open\"} 0\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"half_open\"} 0\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"metrics_only\"} 0\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"disabled\"} 0\n"
              "circuit_breaker_state{circuit_name=\"payments\",state=\"forced_open\"} 0\n"
              "# HELP circuit_breaker_state_transition_total Transitions of the circuit breaker from old_state to "
              "new_state.\n"
              "# TYPE circuit_breaker_state_transition_total counter\n");
    EXPECT_EQ(listener.name(), "payments");
}

TEST(PrometheusListener, FollowsBreakerTransitions) {
    prom::Registry registry;
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(streak_options(clock, {.listeners = {PrometheusListener("payments", registry)}}));

    fail_once(breaker);
    fail_once(breaker);
    const std::string opened = registry.render();
    clock->advance(10s);
    auto probe = breaker.try_acquire();
    ASSERT_TRUE(probe.has_value());
    const std::string half_opened = registry.render();
    probe->success(1ms);
    const std::string closed = registry.render();

    expect_only_state(opened, "payments", fg::State::open);
    EXPECT_EQ(sample_value(opened, transition_series("payments", "closed", "open")), "1");
    EXPECT_EQ(sample_value(opened, transition_series("payments", "open", "half_open")), std::nullopt);
    expect_only_state(half_opened, "payments", fg::State::half_open);
    EXPECT_EQ(sample_value(half_opened, transition_series("payments", "open", "half_open")), "1");
    expect_only_state(closed, "payments", fg::State::closed);
    EXPECT_EQ(sample_value(closed, transition_series("payments", "closed", "open")), "1");
    EXPECT_EQ(sample_value(closed, transition_series("payments", "open", "half_open")), "1");
    EXPECT_EQ(sample_value(closed, transition_series("payments", "half_open", "closed")), "1");
    EXPECT_EQ(count_lines_starting_with(closed, "circuit_breaker_state_transition_total{"), 3);
}

TEST(PrometheusListener, CountsRepeatedAndManualTransitions) {
    prom::Registry registry;
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(streak_options(clock, {.listeners = {PrometheusListener("payments", registry)}}));

    for (int cycle = 0; cycle < 3; ++cycle) {
        fail_once(breaker);
        fail_once(breaker);
        breaker.reset();
    }
    breaker.reset();
    breaker.force_open();
    const std::string forced = registry.render();
    breaker.metrics_only();
    breaker.disable();
    const std::string disabled = registry.render();

    expect_only_state(forced, "payments", fg::State::forced_open);
    EXPECT_EQ(sample_value(forced, transition_series("payments", "closed", "open")), "3");
    EXPECT_EQ(sample_value(forced, transition_series("payments", "open", "closed")), "3");
    EXPECT_EQ(sample_value(forced, transition_series("payments", "closed", "closed")), "1");
    EXPECT_EQ(sample_value(forced, transition_series("payments", "closed", "forced_open")), "1");
    expect_only_state(disabled, "payments", fg::State::disabled);
    EXPECT_EQ(sample_value(disabled, transition_series("payments", "forced_open", "metrics_only")), "1");
    EXPECT_EQ(sample_value(disabled, transition_series("payments", "metrics_only", "disabled")), "1");
}

TEST(PrometheusListener, CloseRemovesEverySeriesOfName) {
    prom::Registry registry;
    PrometheusListener payments("payments", registry);
    const PrometheusListener search("search", registry);
    payments(fg::Signal{fg::State::closed, fg::State::open, {}});

    payments.close();
    const std::string text = registry.render();

    EXPECT_EQ(text.find("\"payments\""), std::string::npos) << text;
    expect_only_state(text, "search", fg::State::closed);
}

TEST(PrometheusListener, IgnoresSignalsAfterClose) {
    prom::Registry registry;
    PrometheusListener listener("payments", registry);
    const PrometheusListener copy = listener;

    listener.close();
    copy(fg::Signal{fg::State::closed, fg::State::open, {}});

    EXPECT_EQ(registry.render(), "");
}

TEST(PrometheusListener, NewListenerAfterCloseStartsClosed) {
    prom::Registry registry;
    PrometheusListener first("payments", registry);
    first(fg::Signal{fg::State::closed, fg::State::open, {}});
    first.close();

    const PrometheusListener second("payments", registry);
    const std::string text = registry.render();

    expect_only_state(text, "payments", fg::State::closed);
    EXPECT_EQ(sample_value(text, transition_series("payments", "closed", "open")), std::nullopt);
}

TEST(PrometheusListener, CopiesShareSeries) {
    prom::Registry registry;
    const PrometheusListener listener("payments", registry);
    const fg::listeners::Listener copy = listener;

    copy(fg::Signal{fg::State::closed, fg::State::open, {}});

    expect_only_state(registry.render(), "payments", fg::State::open);
}

TEST(PrometheusListener, SameNameSharesSeries) {
    prom::Registry registry;
    const PrometheusListener first("payments", registry);
    first(fg::Signal{fg::State::closed, fg::State::open, {}});

    const PrometheusListener second("payments", registry);
    const std::string before = registry.render();
    second(fg::Signal{fg::State::open, fg::State::half_open, {}});
    const std::string after = registry.render();

    expect_only_state(before, "payments", fg::State::open);
    expect_only_state(after, "payments", fg::State::half_open);
    EXPECT_EQ(count_lines_starting_with(after, "circuit_breaker_state{"), 6);
}

TEST(PrometheusListener, RejectsEmptyName) {
    prom::Registry registry;

    FLUXGATE_EXPECT_THROW_MESSAGE(PrometheusListener("", registry), std::invalid_argument,
                                  "PrometheusListener: name must be a non-empty string, got an empty string");
}

TEST(PrometheusListener, UsesDefaultRegistry) {
    PrometheusListener listener("fluxgate-default-registry-test");

    const std::string text = prom::default_registry().render();
    listener.close();

    EXPECT_EQ(sample_value(text, state_series("fluxgate-default-registry-test", "closed")), "1");
    EXPECT_EQ(prom::default_registry().render().find("fluxgate-default-registry-test"), std::string::npos);
}

TEST(PrometheusListener, OutlivesItsRegistry) {
    auto registry = std::make_unique<prom::Registry>();
    PrometheusListener listener("payments", *registry);
    prom::Registry other;
    const PrometheusListener other_listener("payments", other);

    // Under ASan, a listener that kept only a reference to its registry fails here.
    registry.reset();
    listener(fg::Signal{fg::State::closed, fg::State::open, {}});
    listener.close();

    expect_only_state(other.render(), "payments", fg::State::closed);
}

TEST(PrometheusListener, EscapesNameInLabels) {
    prom::Registry registry;
    const PrometheusListener listener("pay\"ments\\eu\nz\xC3\xBCrich", registry);

    const std::string text = registry.render();

    EXPECT_EQ(sample_value(text, state_series(R"(pay\"ments\\eu\nzürich)", "closed")), "1") << text;
}

TEST(PrometheusListener, KeepsSeriesOfSeveralNamesApart) {
    prom::Registry registry;
    const PrometheusListener search("search", registry);
    const PrometheusListener payments("payments", registry);

    search(fg::Signal{fg::State::closed, fg::State::open, {}});
    const std::string text = registry.render();

    expect_only_state(text, "search", fg::State::open);
    expect_only_state(text, "payments", fg::State::closed);
    EXPECT_EQ(count_lines_starting_with(text, "# TYPE circuit_breaker_state "), 1);
    EXPECT_EQ(count_lines_starting_with(text, "# TYPE circuit_breaker_state_transition_total "), 1);
    // Names sort, so each family lists `payments` before `search`.
    EXPECT_LT(text.find(state_series("payments", "closed")), text.find(state_series("search", "closed")));
}

TEST(PrometheusListener, ToleratesConcurrentSignalsAndRenders) {
    prom::Registry registry;
    const PrometheusListener listener("payments", registry);
    constexpr int kThreads = 4;
    constexpr int kSignalsPerThread = 500;

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([listener] {
            for (int i = 0; i < kSignalsPerThread; ++i) {
                listener(fg::Signal{fg::State::closed, fg::State::open, {}});
            }
        });
    }
    std::string last;
    for (int i = 0; i < 50; ++i) {
        last = registry.render();
    }
    for (std::thread& thread : threads) {
        thread.join();
    }

    EXPECT_EQ(sample_value(registry.render(), transition_series("payments", "closed", "open")),
              std::to_string(kThreads * kSignalsPerThread));
    EXPECT_FALSE(last.empty());
}

TEST(PrometheusRegistry, RendersCallMetricsOfBreaker) {
    using namespace fg::trippers;
    prom::Registry registry;
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker({
        .window = fg::windows::CountWindow(10),
        .tripper = MinRequests(100) & (SlowRate(0.5, 250ms) | SlowRate(0.5, 1s) | SlowRate(0.5, 1500us)),
        .clock = clock,
        .name = "payments",
    });
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    succeed_once(breaker, 100ms);
    succeed_once(breaker, 300ms);
    succeed_once(breaker, 2s);
    fail_once(breaker);  // 1 ms
    const std::string text = registry.render();

    EXPECT_TRUE(registration.active());
    EXPECT_EQ(sample_value(text, calls_series("payments", "successful")), "3");
    EXPECT_EQ(sample_value(text, calls_series("payments", "failed")), "1");
    EXPECT_EQ(sample_value(text, calls_series("payments", "rejected")), "0");
    EXPECT_EQ(sample_value(text, calls_series("payments", "ignored")), "0");
    EXPECT_EQ(sample_value(text, "circuit_breaker_failure_ratio{circuit_name=\"payments\"}"), "0.25");
    EXPECT_EQ(sample_value(text, slow_series("payments", "0.0015")), "0.75");
    EXPECT_EQ(sample_value(text, slow_series("payments", "0.25")), "0.5");
    EXPECT_EQ(sample_value(text, slow_series("payments", "1")), "0.25");
    EXPECT_EQ(sample_value(text, "circuit_breaker_window_calls{circuit_name=\"payments\"}"), "4");
    EXPECT_EQ(text.find("circuit_breaker_state"), std::string::npos) << "no listener, so no state series";
}

TEST(PrometheusRegistry, WritesHelpAndTypeForEveryCallFamily) {
    prom::Registry registry;
    fg::CircuitBreaker breaker({.name = "payments"});
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    const std::string text = registry.render();

    const struct {
        std::string_view name;
        std::string_view type;
    } families[] = {
        {"circuit_breaker_calls_total", "counter"},
        {"circuit_breaker_failure_ratio", "gauge"},
        {"circuit_breaker_slow_call_ratio", "gauge"},
        {"circuit_breaker_window_calls", "gauge"},
    };
    for (const auto& [name, type] : families) {
        EXPECT_EQ(count_lines_starting_with(text, "# HELP " + std::string(name) + " "), 1) << name;
        EXPECT_EQ(count_lines_starting_with(text, "# TYPE " + std::string(name) + " " + std::string(type)), 1)
            << name;
    }
}

TEST(PrometheusRegistry, GroupsSamplesOfEachFamily) {
    using namespace fg::trippers;
    prom::Registry registry;
    auto clock = std::make_shared<fg::ManualClock>();
    std::vector<std::unique_ptr<fg::CircuitBreaker>> breakers;
    std::vector<prom::BreakerRegistration> registrations;
    for (const std::string name : {"search", "payments", "users"}) {
        breakers.push_back(std::make_unique<fg::CircuitBreaker>(fg::Options{
            .tripper = FailureStreak(1) | (MinRequests(100) & SlowRate(0.5, 1s)),
            .listeners = {PrometheusListener(name, registry)},
            .clock = clock,
            .name = name,
        }));
        registrations.push_back(registry.add_breaker(*breakers.back()));
        succeed_once(*breakers.back(), 2s);
    }
    fail_once(*breakers[1]);

    const std::string text = registry.render();

    EXPECT_EQ(family_grouping_problem(text), "") << text;
    EXPECT_EQ(count_lines_starting_with(text, "circuit_breaker_state{"), 18);
    EXPECT_EQ(count_lines_starting_with(text, "circuit_breaker_calls_total{"), 12);
    EXPECT_EQ(count_lines_starting_with(text, "circuit_breaker_slow_call_ratio{"), 2) << "payments' window is empty";
}

TEST(PrometheusRegistry, LeavesRatiosOutWhileWindowIsEmpty) {
    prom::Registry registry;
    fg::CircuitBreaker breaker(one_threshold_options());
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    const std::string text = registry.render();

    EXPECT_EQ(count_lines_starting_with(text, "circuit_breaker_failure_ratio{"), 0);
    EXPECT_EQ(count_lines_starting_with(text, "circuit_breaker_slow_call_ratio{"), 0);
    EXPECT_EQ(sample_value(text, "circuit_breaker_window_calls{circuit_name=\"payments\"}"), "0");
}

TEST(PrometheusRegistry, KeepsSlowRatioOfThresholdSeenBefore) {
    prom::Registry registry;
    fg::CircuitBreaker breaker(one_threshold_options());
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    succeed_once(breaker, 2s);
    const std::string slow = registry.render();
    breaker.reset();  // clears the window
    succeed_once(breaker, 10ms);
    const std::string fast = registry.render();

    EXPECT_EQ(sample_value(slow, slow_series("payments", "1")), "1");
    EXPECT_EQ(sample_value(fast, slow_series("payments", "1")), "0");
}

TEST(PrometheusRegistry, PublishesSlowRatioBeforeAnySlowCall) {
    prom::Registry registry;
    fg::CircuitBreaker breaker(one_threshold_options());
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    succeed_once(breaker, 10ms);
    const std::string text = registry.render();

    EXPECT_EQ(sample_value(text, slow_series("payments", "1")), "0");
}

TEST(PrometheusRegistry, CountsRejectedAndIgnoredCalls) {
    prom::Registry registry;
    fg::CircuitBreaker breaker({
        .tracker = fg::trackers::TypeOf<std::runtime_error>(),
        .clock = std::make_shared<fg::ManualClock>(),
        .name = "payments",
    });
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    EXPECT_THROW(breaker.call([] { throw std::logic_error("not tracked"); }), std::logic_error);
    breaker.force_open();
    EXPECT_THROW(breaker.call([] {}), fg::CallNotPermittedError);
    EXPECT_THROW(breaker.call([] {}), fg::CallNotPermittedError);
    const std::string text = registry.render();

    EXPECT_EQ(sample_value(text, calls_series("payments", "ignored")), "1");
    EXPECT_EQ(sample_value(text, calls_series("payments", "rejected")), "2");
    EXPECT_EQ(sample_value(text, calls_series("payments", "successful")), "0");
}

TEST(PrometheusRegistry, PairsListenerAndBreakerOfOneName) {
    prom::Registry registry;
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(streak_options(clock, {.listeners = {PrometheusListener("payments", registry)}}));
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);

    fail_once(breaker);
    fail_once(breaker);
    EXPECT_EQ(breaker.try_acquire(), std::nullopt);
    const std::string text = registry.render();

    expect_only_state(text, "payments", fg::State::open);
    EXPECT_EQ(sample_value(text, calls_series("payments", "failed")), "2");
    EXPECT_EQ(sample_value(text, calls_series("payments", "rejected")), "1");
    EXPECT_EQ(sample_value(text, "circuit_breaker_window_calls{circuit_name=\"payments\"}"), "0");
}

TEST(PrometheusRegistry, UsesGivenCircuitName) {
    prom::Registry registry;
    fg::CircuitBreaker breaker({.name = "internal-name"});

    const prom::BreakerRegistration registration = registry.add_breaker("payments", breaker);
    const std::string text = registry.render();

    EXPECT_EQ(sample_value(text, calls_series("payments", "successful")), "0");
    EXPECT_EQ(text.find("internal-name"), std::string::npos);
}

TEST(PrometheusRegistry, RejectsDuplicateBreakerName) {
    prom::Registry registry;
    fg::CircuitBreaker first({.name = "payments"});
    fg::CircuitBreaker second({.name = "payments"});
    const prom::BreakerRegistration registration = registry.add_breaker(first);

    FLUXGATE_EXPECT_THROW_MESSAGE(
        (void)registry.add_breaker(second), std::invalid_argument,
        "Registry: circuit_name must be unique in the registry, got 'payments' a second time");
}

TEST(PrometheusRegistry, RejectsEmptyBreakerName) {
    prom::Registry registry;
    fg::CircuitBreaker breaker;

    FLUXGATE_EXPECT_THROW_MESSAGE((void)registry.add_breaker("", breaker), std::invalid_argument,
                                  "Registry: circuit_name must be a non-empty string, got an empty string");
}

TEST(PrometheusRegistry, RegistrationResetRemovesBreaker) {
    prom::Registry registry;
    fg::CircuitBreaker breaker({.name = "payments"});
    prom::BreakerRegistration registration = registry.add_breaker(breaker);

    registration.reset();
    registration.reset();

    EXPECT_FALSE(registration.active());
    EXPECT_EQ(registry.render(), "");
    const prom::BreakerRegistration again = registry.add_breaker(breaker);
    EXPECT_EQ(sample_value(registry.render(), calls_series("payments", "failed")), "0");
}

TEST(PrometheusRegistry, RegistrationEndsWithItsScope) {
    prom::Registry registry;

    {
        fg::CircuitBreaker breaker({.name = "payments"});
        const prom::BreakerRegistration registration = registry.add_breaker(breaker);
        ASSERT_NE(registry.render(), "");
    }

    EXPECT_EQ(registry.render(), "");
}

TEST(PrometheusRegistry, MovedRegistrationKeepsBreaker) {
    prom::Registry registry;
    fg::CircuitBreaker breaker({.name = "payments"});
    prom::BreakerRegistration original = registry.add_breaker(breaker);

    prom::BreakerRegistration moved = std::move(original);
    original.reset();
    const std::string while_moved = registry.render();
    prom::BreakerRegistration assigned;
    assigned = std::move(moved);
    assigned = prom::BreakerRegistration();
    const std::string after_reassignment = registry.render();

    EXPECT_FALSE(original.active());  // NOLINT(bugprone-use-after-move): a moved-from registration is empty
    EXPECT_EQ(sample_value(while_moved, calls_series("payments", "successful")), "0");
    EXPECT_EQ(after_reassignment, "");
}

TEST(PrometheusRegistry, RegistrationOutlivesRegistry) {
    auto registry = std::make_unique<prom::Registry>();
    fg::CircuitBreaker breaker({.name = "payments"});
    prom::BreakerRegistration registration = registry->add_breaker(breaker);

    registry.reset();
    registration.reset();

    EXPECT_FALSE(registration.active());
}

TEST(PrometheusRegistry, ReportsBreakerThatFailsToRead) {
    prom::Registry registry;
    auto failing = std::make_shared<std::atomic<bool>>(false);
    fg::CircuitBreaker broken({.window = FailingWindow(failing), .name = "broken"});
    fg::CircuitBreaker healthy({.name = "healthy"});
    const prom::BreakerRegistration broken_registration = registry.add_breaker(broken);
    const prom::BreakerRegistration healthy_registration = registry.add_breaker(healthy);
    const CapturedErrors errors;

    failing->store(true);
    const std::string text = registry.render();
    failing->store(false);

    EXPECT_EQ(text.find("\"broken\""), std::string::npos) << text;
    EXPECT_EQ(sample_value(text, calls_series("healthy", "successful")), "0");
    ASSERT_EQ(errors.messages().size(), 1u);
    EXPECT_EQ(errors.messages()[0],
              "fluxgate prometheus: reading circuit breaker 'broken' failed, its call metrics are left out of this "
              "scrape: window storage unavailable");
}
