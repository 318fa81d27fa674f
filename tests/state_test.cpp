#include <fluxgate/state.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

struct NamedState {
    fg::State state;
    std::string_view name;
    int number;
};

// The names and numbers are API: exporters and logs store them.
constexpr NamedState kNamedStates[] = {
    {fg::State::closed, "closed", 0},       {fg::State::open, "open", 1},
    {fg::State::half_open, "half_open", 2}, {fg::State::metrics_only, "metrics_only", 3},
    {fg::State::disabled, "disabled", 4},   {fg::State::forced_open, "forced_open", 5},
};

}  // namespace

TEST(State, ToStringNamesEveryState) {
    for (const NamedState& named : kNamedStates) {
        EXPECT_EQ(fg::to_string(named.state), named.name);
    }
}

TEST(State, NumbersAreStable) {
    for (const NamedState& named : kNamedStates) {
        EXPECT_EQ(static_cast<int>(named.state), named.number) << named.name;
    }
}

TEST(State, AllStatesListsEachOnceInOrder) {
    ASSERT_EQ(fg::kStateCount, 6);

    for (int i = 0; i < fg::kStateCount; ++i) {
        EXPECT_EQ(fg::kAllStates[i], kNamedStates[i].state);
    }
}

TEST(State, ToStringOfUnknownValue) {
    const auto unknown = static_cast<fg::State>(fg::kStateCount);

    EXPECT_EQ(fg::to_string(unknown), "unknown");
}

TEST(State, ParseRoundTrips) {
    for (fg::State state : fg::kAllStates) {
        EXPECT_EQ(fg::parse_state(fg::to_string(state)), state);
    }
}

TEST(State, ParseWorksAtCompileTime) {
    static_assert(fg::parse_state("half_open") == fg::State::half_open);
    static_assert(!fg::parse_state("halfopen").has_value());
    static_assert(fg::to_string(fg::State::forced_open) == "forced_open");
}

TEST(State, ParseRejectsBadNames) {
    const std::string_view bad_names[] = {
        "", "Closed", "OPEN", "half-open", "halfopen", " closed", "closed ", "metrics", "unknown", "forced",
        std::string_view("open\0", 5),
    };

    for (std::string_view name : bad_names) {
        EXPECT_EQ(fg::parse_state(name), std::nullopt) << "'" << name << "'";
    }
}

TEST(State, StreamOperatorWritesName) {
    for (const NamedState& named : kNamedStates) {
        std::ostringstream out;

        out << named.state;

        EXPECT_EQ(out.str(), named.name);
    }
}

TEST(Signal, EqualWhenAllFieldsMatch) {
    const fg::WallTime when = fg::WallTime(1'704'067'200s);
    const fg::Signal signal{fg::State::closed, fg::State::open, when};

    EXPECT_EQ(signal, (fg::Signal{fg::State::closed, fg::State::open, when}));
    EXPECT_NE(signal, (fg::Signal{fg::State::half_open, fg::State::open, when}));
    EXPECT_NE(signal, (fg::Signal{fg::State::closed, fg::State::forced_open, when}));
    EXPECT_NE(signal, (fg::Signal{fg::State::closed, fg::State::open, when + 1ns}));
}

TEST(CallNotPermittedError, MessageNamesBreakerAndState) {
    const fg::CallNotPermittedError error("payments", fg::State::open);

    EXPECT_STREQ(error.what(), "circuit breaker 'payments' is open");
    EXPECT_EQ(error.state(), fg::State::open);
}

TEST(CallNotPermittedError, EveryRejectingState) {
    const fg::State rejecting[] = {fg::State::open, fg::State::half_open, fg::State::forced_open};

    for (fg::State state : rejecting) {
        const fg::CallNotPermittedError error("inventory", state);

        EXPECT_EQ(std::string(error.what()), "circuit breaker 'inventory' is " + std::string(fg::to_string(state)));
        EXPECT_EQ(error.state(), state);
    }
}

TEST(CallNotPermittedError, CaughtAsRuntimeError) {
    static_assert(std::is_base_of_v<std::runtime_error, fg::CallNotPermittedError>);

    try {
        throw fg::CallNotPermittedError("search", fg::State::forced_open);
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "circuit breaker 'search' is forced_open");
        return;
    }
    FAIL() << "the error was not caught as std::runtime_error";
}
