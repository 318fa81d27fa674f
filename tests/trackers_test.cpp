#include <fluxgate/trackers.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

#include "support/expect_throw.hpp"

namespace fg = fluxgate;
using fg::trackers::All;
using fg::trackers::Custom;
using fg::trackers::Tracker;
using fg::trackers::TypeOf;

namespace {

struct HttpError : std::runtime_error {
    explicit HttpError(int code) : std::runtime_error("HTTP " + std::to_string(code)), status(code) {}
    int status;
};

struct ServiceUnavailable : HttpError {
    ServiceUnavailable() : HttpError(503) {}
};

// A user-derived tracker: fails calls whose message contains `needle`.
class MessageContains final : public Tracker {
public:
    explicit MessageContains(std::string needle) : needle_(std::move(needle)) {}

    [[nodiscard]] bool operator()(const std::exception& error) const override {
        return std::string(error.what()).find(needle_) != std::string::npos;
    }

    void set_needle(std::string needle) { needle_ = std::move(needle); }

private:
    std::string needle_;
};

const std::runtime_error kRuntimeError("runtime");
const std::logic_error kLogicError("logic");
const std::invalid_argument kInvalidArgument("invalid");
const std::system_error kSystemError(std::make_error_code(std::errc::timed_out), "connect");
const HttpError kNotFound(404);
const ServiceUnavailable kServiceUnavailable;
const std::bad_alloc kBadAlloc;

}  // namespace

TEST(All, TracksEveryException) {
    const All tracker;

    EXPECT_TRUE(tracker(kRuntimeError));
    EXPECT_TRUE(tracker(kLogicError));
    EXPECT_TRUE(tracker(kBadAlloc));
    EXPECT_TRUE(tracker(std::exception()));
}

TEST(TypeOf, TracksExactType) {
    const TypeOf<std::logic_error> tracker;

    EXPECT_TRUE(tracker(kLogicError));
    EXPECT_FALSE(tracker(kRuntimeError));
    EXPECT_FALSE(tracker(std::exception()));
}

TEST(TypeOf, TracksDerivedTypes) {
    const TypeOf<std::runtime_error> runtime;
    const TypeOf<HttpError> http;

    EXPECT_TRUE(runtime(kSystemError));
    EXPECT_TRUE(runtime(kServiceUnavailable));
    EXPECT_TRUE(http(kServiceUnavailable));
    EXPECT_TRUE(http(kNotFound));
    EXPECT_FALSE(http(kRuntimeError));
}

TEST(TypeOf, IgnoresBaseOfTrackedType) {
    const TypeOf<ServiceUnavailable> tracker;

    EXPECT_TRUE(tracker(kServiceUnavailable));
    EXPECT_FALSE(tracker(kNotFound));
}

TEST(TypeOf, ChecksDynamicType) {
    const TypeOf<HttpError> tracker;
    const std::exception& as_base = kServiceUnavailable;

    EXPECT_TRUE(tracker(as_base));
}

TEST(TypeOf, TracksAnyOfSeveralTypes) {
    const TypeOf<std::system_error, HttpError, std::bad_alloc> tracker;

    EXPECT_TRUE(tracker(kSystemError));
    EXPECT_TRUE(tracker(kNotFound));
    EXPECT_TRUE(tracker(kServiceUnavailable));
    EXPECT_TRUE(tracker(kBadAlloc));
    EXPECT_FALSE(tracker(kRuntimeError));
    EXPECT_FALSE(tracker(kInvalidArgument));
}

TEST(TypeOf, StdExceptionTracksEverything) {
    const TypeOf<std::exception> tracker;

    EXPECT_TRUE(tracker(kBadAlloc));
    EXPECT_TRUE(tracker(kInvalidArgument));
    EXPECT_TRUE(tracker(std::exception()));
}

TEST(Custom, UsesPredicate) {
    const Custom tracker([](const std::exception& error) {
        const auto* http = dynamic_cast<const HttpError*>(&error);
        return http != nullptr && http->status >= 500;
    });

    EXPECT_TRUE(tracker(kServiceUnavailable));
    EXPECT_FALSE(tracker(kNotFound));
    EXPECT_FALSE(tracker(kRuntimeError));
}

TEST(Custom, RejectsEmptyPredicate) {
    FLUXGATE_EXPECT_THROW_MESSAGE(Custom(nullptr), std::invalid_argument,
                                  "Custom: predicate must be a callable, got an empty function");
    FLUXGATE_EXPECT_THROW_MESSAGE(Custom(Custom::Predicate{}), std::invalid_argument,
                                  "Custom: predicate must be a callable, got an empty function");
}

TEST(Custom, PredicateExceptionPropagates) {
    const Custom tracker([](const std::exception&) -> bool { throw std::logic_error("predicate failed"); });

    EXPECT_THROW((void)tracker(kRuntimeError), std::logic_error);
}

TEST(TrackerAnd, TracksWhenBothDo) {
    const auto tracker = TypeOf<HttpError>() & Custom([](const std::exception& error) {
                             return std::string(error.what()) == "HTTP 503";
                         });

    EXPECT_TRUE(tracker(kServiceUnavailable));
    EXPECT_FALSE(tracker(kNotFound));
    EXPECT_FALSE(tracker(std::runtime_error("HTTP 503")));
}

TEST(TrackerAnd, SkipsRightWhenLeftRejects) {
    int right_calls = 0;
    const auto tracker = TypeOf<HttpError>() & Custom([&right_calls](const std::exception&) {
                             ++right_calls;
                             return true;
                         });

    EXPECT_FALSE(tracker(kRuntimeError));
    EXPECT_EQ(right_calls, 0);
    EXPECT_TRUE(tracker(kNotFound));
    EXPECT_EQ(right_calls, 1);
}

TEST(TrackerOr, TracksWhenEitherDoes) {
    const auto tracker = TypeOf<std::system_error>() | TypeOf<HttpError>();

    EXPECT_TRUE(tracker(kSystemError));
    EXPECT_TRUE(tracker(kNotFound));
    EXPECT_FALSE(tracker(kRuntimeError));
}

TEST(TrackerOr, SkipsRightWhenLeftTracks) {
    int right_calls = 0;
    const auto tracker = TypeOf<HttpError>() | Custom([&right_calls](const std::exception&) {
                             ++right_calls;
                             return false;
                         });

    EXPECT_TRUE(tracker(kNotFound));
    EXPECT_EQ(right_calls, 0);
    EXPECT_FALSE(tracker(kRuntimeError));
    EXPECT_EQ(right_calls, 1);
}

TEST(TrackerNot, InvertsTracker) {
    const auto tracker = ~TypeOf<std::logic_error>();

    EXPECT_TRUE(tracker(kRuntimeError));
    EXPECT_FALSE(tracker(kLogicError));
    EXPECT_FALSE(tracker(kInvalidArgument));
}

TEST(TrackerNot, DoubleNegationCollapses) {
    const TypeOf<HttpError> original;

    const auto twice = ~~original;

    static_assert(std::is_same_v<std::remove_cvref_t<decltype(twice)>, fg::trackers::detail::SharedTracker>);
    EXPECT_TRUE(twice(kNotFound));
    EXPECT_FALSE(twice(kRuntimeError));
}

TEST(TrackerNot, TripleNegationInverts) {
    const auto thrice = ~~~TypeOf<HttpError>();

    EXPECT_FALSE(thrice(kNotFound));
    EXPECT_TRUE(thrice(kRuntimeError));
}

TEST(TrackerNot, NegatedCompositeAppliesDeMorgan) {
    const auto not_both = ~(TypeOf<std::runtime_error>() & TypeOf<HttpError>());
    const auto neither = ~TypeOf<std::runtime_error>() & ~TypeOf<HttpError>();

    for (const std::exception* error : {static_cast<const std::exception*>(&kRuntimeError),
                                        static_cast<const std::exception*>(&kNotFound),
                                        static_cast<const std::exception*>(&kLogicError)}) {
        const bool runtime = TypeOf<std::runtime_error>()(*error);
        const bool http = TypeOf<HttpError>()(*error);
        EXPECT_EQ(not_both(*error), !(runtime && http)) << error->what();
        EXPECT_EQ(neither(*error), !runtime && !http) << error->what();
    }
}

TEST(TrackerComposition, NestsAndMixesOperators) {
    // Failures: server errors and system errors, but never a timeout message.
    const auto tracker =
        (TypeOf<ServiceUnavailable>() | TypeOf<std::system_error>()) & ~MessageContains("timed out");

    EXPECT_TRUE(tracker(kServiceUnavailable));
    EXPECT_TRUE(tracker(std::system_error(std::make_error_code(std::errc::connection_refused), "connect")));
    EXPECT_FALSE(tracker(std::system_error(std::make_error_code(std::errc::timed_out), "timed out")));
    EXPECT_FALSE(tracker(kNotFound));
}

TEST(TrackerComposition, UserTrackerComposesWithBuiltIns) {
    const auto either = MessageContains("quota") | TypeOf<std::system_error>();
    const auto both = TypeOf<HttpError>() & MessageContains("404");

    EXPECT_TRUE(either(std::runtime_error("quota exceeded")));
    EXPECT_TRUE(either(kSystemError));
    EXPECT_FALSE(either(kRuntimeError));
    EXPECT_TRUE(both(kNotFound));
    EXPECT_FALSE(both(kServiceUnavailable));
}

TEST(TrackerComposition, CopiesOperandsByValue) {
    MessageContains user("quota");
    const auto composed = user | TypeOf<std::system_error>();

    user.set_needle("HTTP");

    EXPECT_TRUE(composed(std::runtime_error("quota exceeded")));
    EXPECT_FALSE(composed(kNotFound));
    EXPECT_TRUE(user(kNotFound));
}

TEST(TrackerComposition, OutlivesOperands) {
    std::function<bool(const std::exception&)> check;
    {
        const MessageContains user("temporary");
        const auto composed = ~user & All();
        check = [composed](const std::exception& error) { return composed(error); };
    }

    EXPECT_TRUE(check(kRuntimeError));
    EXPECT_FALSE(check(std::runtime_error("temporary failure")));
}

TEST(TrackerComposition, ResultIsATracker) {
    const auto composed = ~(TypeOf<HttpError>() | All()) | MessageContains("x");
    const Tracker& as_tracker = composed;

    EXPECT_TRUE(as_tracker(std::runtime_error("x")));
    EXPECT_FALSE(as_tracker(kNotFound));
}

TEST(TrackerComposition, SafeForConcurrentCalls) {
    const auto tracker = (TypeOf<HttpError>() | MessageContains("quota")) & ~TypeOf<ServiceUnavailable>();
    auto count_tracked = [&tracker] {
        int tracked = 0;
        for (int i = 0; i < 2000; ++i) {
            tracked += tracker(kNotFound) ? 1 : 0;
            tracked += tracker(kServiceUnavailable) ? 1 : 0;
        }
        return tracked;
    };

    auto first = std::async(std::launch::async, count_tracked);
    auto second = std::async(std::launch::async, count_tracked);

    EXPECT_EQ(first.get(), 2000);
    EXPECT_EQ(second.get(), 2000);
}
