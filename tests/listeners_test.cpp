#include <fluxgate/listeners.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::State;
using fg::listeners::LogLevel;
using fg::listeners::LogListener;

namespace {

// 2024-01-01T00:00:00.250Z.
const fg::WallTime kNewYear = fg::WallTime(1'704'067'200s) + 250ms;

// Sets the process time zone for one test and restores the previous one.
// POSIX zone strings such as "XYZ-01:00" (UTC+1) need no time zone database.
class ScopedTimeZone {
public:
    explicit ScopedTimeZone(const char* zone) {
        if (const char* previous = std::getenv("TZ")) {
            previous_ = previous;
        }
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~ScopedTimeZone() {
        if (previous_) {
            ::setenv("TZ", previous_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    ScopedTimeZone(const ScopedTimeZone&) = delete;
    ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

private:
    std::optional<std::string> previous_;
};

struct LoggedLine {
    LogLevel level;
    std::string line;
};

// A sink that stores every line it receives in `lines`.
fg::listeners::LogSink capture_into(std::vector<LoggedLine>& lines) {
    return [&lines](LogLevel level, std::string_view line) { lines.push_back({level, std::string(line)}); };
}

}  // namespace

TEST(LogLevel, ToStringNamesEveryLevel) {
    EXPECT_EQ(fg::listeners::to_string(LogLevel::debug), "debug");
    EXPECT_EQ(fg::listeners::to_string(LogLevel::info), "info");
    EXPECT_EQ(fg::listeners::to_string(LogLevel::warning), "warning");
    EXPECT_EQ(fg::listeners::to_string(LogLevel::error), "error");
}

TEST(LogListener, WritesLineInLocalTime) {
    const ScopedTimeZone zone("XYZ-01:00");
    std::vector<LoggedLine> lines;
    const LogListener listener("payments-api", capture_into(lines));

    listener(fg::Signal{State::closed, State::open, kNewYear});

    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].line, "2024-01-01 01:00:00.250 +0100 warning circuit breaker 'payments-api': closed -> open");
    EXPECT_EQ(lines[0].level, LogLevel::warning);
}

TEST(LogListener, ZoneWestOfUtc) {
    const ScopedTimeZone zone("XYZ+05:30");
    const LogListener listener("inventory", [](LogLevel, std::string_view) {});

    const std::string line = listener.format(fg::Signal{State::half_open, State::closed, kNewYear});

    EXPECT_EQ(line, "2023-12-31 18:30:00.250 -0530 info circuit breaker 'inventory': half_open -> closed");
}

TEST(LogListener, TruncatesToMilliseconds) {
    const ScopedTimeZone zone("UTC0");
    const LogListener listener("search", [](LogLevel, std::string_view) {});
    const fg::WallTime almost_next_second = fg::WallTime(1'704'067'200s) + 999'999us;

    const std::string line = listener.format(fg::Signal{State::closed, State::disabled, almost_next_second});

    EXPECT_EQ(line, "2024-01-01 00:00:00.999 +0000 info circuit breaker 'search': closed -> disabled");
}

TEST(LogListener, TimeBeforeUnixEpoch) {
    const ScopedTimeZone zone("UTC0");
    const LogListener listener("legacy", [](LogLevel, std::string_view) {});

    const std::string line = listener.format(fg::Signal{State::open, State::half_open, fg::WallTime(-250ms)});

    EXPECT_EQ(line, "1969-12-31 23:59:59.750 +0000 info circuit breaker 'legacy': open -> half_open");
}

TEST(LogListener, WarnsOnOpenAndForcedOpen) {
    const LogListener listener("payments", [](LogLevel, std::string_view) {});

    EXPECT_EQ(listener.level(State::open), LogLevel::warning);
    EXPECT_EQ(listener.level(State::forced_open), LogLevel::warning);
    EXPECT_EQ(listener.level(State::closed), LogLevel::info);
    EXPECT_EQ(listener.level(State::half_open), LogLevel::info);
    EXPECT_EQ(listener.level(State::metrics_only), LogLevel::info);
    EXPECT_EQ(listener.level(State::disabled), LogLevel::info);
}

TEST(LogListener, SinkGetsLevelOfEachTransition) {
    const ScopedTimeZone zone("UTC0");
    std::vector<LoggedLine> lines;
    const LogListener listener("payments", capture_into(lines));

    for (State state : fg::kAllStates) {
        listener(fg::Signal{State::closed, state, kNewYear});
    }

    ASSERT_EQ(lines.size(), 6u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const State state = fg::kAllStates[i];
        const LogLevel expected = state == State::open || state == State::forced_open ? LogLevel::warning
                                                                                        : LogLevel::info;
        EXPECT_EQ(lines[i].level, expected) << state;
        EXPECT_EQ(lines[i].line, "2024-01-01 00:00:00.250 +0000 " + std::string(fg::listeners::to_string(expected)) +
                                     " circuit breaker 'payments': closed -> " + std::string(fg::to_string(state)));
    }
}

TEST(LogListener, WithLevelOverridesOneState) {
    const ScopedTimeZone zone("UTC0");
    std::vector<LoggedLine> lines;
    const LogListener listener = LogListener("payments", capture_into(lines))
                                     .with_level(State::open, LogLevel::error)
                                     .with_level(State::closed, LogLevel::debug);

    listener(fg::Signal{State::closed, State::open, kNewYear});
    listener(fg::Signal{State::half_open, State::closed, kNewYear});
    listener(fg::Signal{State::closed, State::forced_open, kNewYear});

    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].level, LogLevel::error);
    EXPECT_EQ(lines[0].line, "2024-01-01 00:00:00.250 +0000 error circuit breaker 'payments': closed -> open");
    EXPECT_EQ(lines[1].level, LogLevel::debug);
    EXPECT_EQ(lines[1].line, "2024-01-01 00:00:00.250 +0000 debug circuit breaker 'payments': half_open -> closed");
    EXPECT_EQ(lines[2].level, LogLevel::warning);
}

TEST(LogListener, WithLevelOnLvalueReturnsSameListener) {
    LogListener listener("payments", [](LogLevel, std::string_view) {});

    LogListener& returned = listener.with_level(State::disabled, LogLevel::warning);

    EXPECT_EQ(&returned, &listener);
    EXPECT_EQ(listener.level(State::disabled), LogLevel::warning);
    EXPECT_EQ(listener.level(State::metrics_only), LogLevel::info);
}

TEST(LogListener, ServesAsListener) {
    const ScopedTimeZone zone("UTC0");
    std::vector<LoggedLine> lines;
    const fg::listeners::Listener listener = LogListener("orders", capture_into(lines));

    listener(fg::Signal{State::open, State::half_open, kNewYear});

    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].line, "2024-01-01 00:00:00.250 +0000 info circuit breaker 'orders': open -> half_open");
}

TEST(LogListener, DefaultSinkIsStandardError) {
    const ScopedTimeZone zone("UTC0");
    const LogListener listener("payments-api");

    testing::internal::CaptureStderr();
    listener(fg::Signal{State::closed, State::open, kNewYear});
    listener(fg::Signal{State::open, State::half_open, kNewYear + 60s});
    const std::string output = testing::internal::GetCapturedStderr();

    EXPECT_EQ(output,
              "2024-01-01 00:00:00.250 +0000 warning circuit breaker 'payments-api': closed -> open\n"
              "2024-01-01 00:01:00.250 +0000 info circuit breaker 'payments-api': open -> half_open\n");
}

TEST(LogListener, EmptySinkFallsBackToStandardError) {
    const ScopedTimeZone zone("UTC0");
    const LogListener listener("billing", fg::listeners::LogSink{});

    testing::internal::CaptureStderr();
    listener(fg::Signal{State::metrics_only, State::disabled, kNewYear});
    const std::string output = testing::internal::GetCapturedStderr();

    EXPECT_EQ(output, "2024-01-01 00:00:00.250 +0000 info circuit breaker 'billing': metrics_only -> disabled\n");
}

TEST(StderrSink, WritesLineAndNewline) {
    const fg::listeners::LogSink sink = fg::listeners::stderr_sink();

    testing::internal::CaptureStderr();
    sink(LogLevel::error, "first line");
    sink(LogLevel::debug, "second line");
    const std::string output = testing::internal::GetCapturedStderr();

    EXPECT_EQ(output, "first line\nsecond line\n");
}
