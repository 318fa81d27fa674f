// The call forms of `CircuitBreaker`: `call`, `call_classified`,
// `call_with_fallback` and `wrap`, with every kind of result and argument.

#include <fluxgate/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <fluxgate/state.hpp>

#include "support/breaker_fakes.hpp"
#include "support/breaker_harness.hpp"
#include "support/expect_throw.hpp"

namespace fg = fluxgate;
using namespace std::chrono_literals;
using fg::State;
using fluxgate_test::enter_half_open;
using fluxgate_test::Harness;
using fluxgate_test::IgnoredError;
using fluxgate_test::NonStandardError;
using fluxgate_test::ServiceError;
using fluxgate_test::trip;

namespace {

// Tells which overload a call reached, to prove that value categories survive forwarding.
struct CategoryProbe {
    std::string operator()(const std::string&) const { return "lvalue"; }
    std::string operator()(std::string&&) const { return "rvalue"; }
};

struct Account {
    int balance = 100;

    int& balance_ref() { return balance; }
    const int& balance_cref() const { return balance; }
    int deposit(int amount) { return balance += amount; }
};

// An HTTP-like response whose status decides success without an exception.
struct HttpResponse {
    int status;
    std::string body;
};

bool is_server_error(const HttpResponse& response) { return response.status >= 500; }

int add(int a, int b) { return a + b; }

// The type, message and rejecting state of the exception a fallback received.
struct CapturedError {
    std::string type;
    std::string message;
    std::optional<State> rejected_by;

    void capture(const std::exception& error) {
        message = error.what();
        if (const auto* rejection = dynamic_cast<const fg::CallNotPermittedError*>(&error)) {
            type = "CallNotPermittedError";
            rejected_by = rejection->state();
        } else if (dynamic_cast<const ServiceError*>(&error) != nullptr) {
            type = "ServiceError";
        } else if (dynamic_cast<const IgnoredError*>(&error) != nullptr) {
            type = "IgnoredError";
        } else {
            type = "other";
        }
    }
};

}  // namespace

// call: results and arguments pass through unchanged.

TEST(BreakerCall, ForwardsLvalueArgumentsByReference) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    int counter = 0;

    breaker.call([](int& value) { value += 5; }, counter);

    EXPECT_EQ(counter, 5);
}

TEST(BreakerCall, ForwardsRvalueArguments) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto owned = std::make_unique<int>(8);

    const int value = breaker.call([](std::unique_ptr<int> p) { return *p; }, std::move(owned));

    EXPECT_EQ(value, 8);
    EXPECT_EQ(owned, nullptr);
}

TEST(BreakerCall, KeepsValueCategoryOfArguments) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    std::string text = "payload";

    const std::string from_lvalue = breaker.call(CategoryProbe{}, text);
    const std::string from_rvalue = breaker.call(CategoryProbe{}, std::move(text));

    EXPECT_EQ(from_lvalue, "lvalue");
    EXPECT_EQ(from_rvalue, "rvalue");
}

TEST(BreakerCall, CallsFunctionPointersAndMemberFunctions) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    Account account;

    const int sum = breaker.call(add, 2, 3);
    const int balance = breaker.call(&Account::deposit, account, 20);

    EXPECT_EQ(sum, 5);
    EXPECT_EQ(balance, 120);
    EXPECT_EQ(account.balance, 120);
    EXPECT_EQ(breaker.info().calls.successful, 2);
}

TEST(BreakerCall, RunsLvalueCallableInPlace) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto counting = [count = 0]() mutable { return ++count; };

    breaker.call(counting);
    const int second = breaker.call(counting);

    EXPECT_EQ(second, 2);
}

TEST(BreakerCall, VoidResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    int runs = 0;

    breaker.call([&] { ++runs; });

    EXPECT_EQ(runs, 1);
    EXPECT_EQ(breaker.info().calls.successful, 1);
}

TEST(BreakerCall, MoveOnlyResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    std::unique_ptr<int> result = breaker.call([] { return std::make_unique<int>(42); });

    ASSERT_NE(result, nullptr);
    EXPECT_EQ(*result, 42);
}

TEST(BreakerCall, ReferenceResultRefersToOriginal) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    Account account;

    int& balance = breaker.call(&Account::balance_ref, account);
    const int& same = breaker.call([&]() -> const int& { return account.balance_cref(); });
    balance = 7;

    EXPECT_EQ(&balance, &account.balance);
    EXPECT_EQ(&same, &account.balance);
    EXPECT_EQ(account.balance, 7);
}

TEST(BreakerCall, RethrowsTheSameExceptionObject) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const ServiceError* thrown = nullptr;
    const ServiceError* caught = nullptr;

    try {
        breaker.call([&] {
            try {
                throw ServiceError("unavailable");
            } catch (const ServiceError& error) {
                thrown = &error;
                throw;
            }
        });
    } catch (const ServiceError& error) {
        caught = &error;
    }

    ASSERT_NE(thrown, nullptr);
    EXPECT_EQ(caught, thrown);
}

// call_classified: failures that are values.

TEST(CallClassified, HttpServerErrorIsFailureAndReturned) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    const HttpResponse failed = breaker.call_classified([] { return HttpResponse{503, "busy"}; }, is_server_error);
    const HttpResponse ok = breaker.call_classified([] { return HttpResponse{200, "ok"}; }, is_server_error);

    EXPECT_EQ(failed.status, 503);
    EXPECT_EQ(failed.body, "busy");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(breaker.info().metrics.total_count, 2);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(CallClassified, ErrorCodeIsFailure) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const auto is_error = [](const std::error_code& code) { return static_cast<bool>(code); };

    const std::error_code timed_out =
        breaker.call_classified([] { return std::make_error_code(std::errc::timed_out); }, is_error);
    const std::error_code none = breaker.call_classified([] { return std::error_code(); }, is_error);

    EXPECT_EQ(timed_out, std::errc::timed_out);
    EXPECT_FALSE(none);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
    EXPECT_EQ(breaker.info().calls.failed, 1);
    EXPECT_EQ(breaker.info().calls.successful, 1);
}

TEST(CallClassified, FailureTripsAndResultStillReturned) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    harness.tripper.set(true);

    const HttpResponse response =
        breaker.call_classified([] { return HttpResponse{500, "internal"}; }, is_server_error);

    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(breaker.state(), State::open);
}

TEST(CallClassified, FailureCarriesDuration) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    (void)breaker.call_classified(
        [&] {
            harness.clock->advance(3s);
            return HttpResponse{504, ""};
        },
        is_server_error);

    EXPECT_EQ(breaker.info().metrics.total_duration, 3s);
}

TEST(CallClassified, VoidCallableClassifierTakesNoArguments) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    bool degraded = true;

    breaker.call_classified([] {}, [&] { return degraded; });
    degraded = false;
    breaker.call_classified([] {}, [&] { return degraded; });

    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
    EXPECT_EQ(breaker.info().metrics.total_count, 2);
}

TEST(CallClassified, ClassifierSeesReferencedObject) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    Account account;
    const int* seen = nullptr;

    int& balance = breaker.call_classified(
        &Account::balance_ref,
        [&](const int& value) {
            seen = &value;
            return false;
        },
        account);

    EXPECT_EQ(seen, &account.balance);
    EXPECT_EQ(&balance, &account.balance);
}

TEST(CallClassified, ForwardsArguments) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto owned = std::make_unique<int>(500);

    const int status = breaker.call_classified([](std::unique_ptr<int> p) { return *p; },
                                               [](int code) { return code >= 500; }, std::move(owned));

    EXPECT_EQ(status, 500);
    EXPECT_EQ(owned, nullptr);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(CallClassified, ExceptionsStillGoThroughTracker) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    const auto never = [](int) { return false; };

    EXPECT_THROW((void)breaker.call_classified([]() -> int { throw ServiceError("down"); }, never), ServiceError);
    EXPECT_THROW((void)breaker.call_classified([]() -> int { throw IgnoredError("bad input"); }, never),
                 IgnoredError);

    EXPECT_EQ(breaker.info().calls.failed, 1);
    EXPECT_EQ(breaker.info().calls.ignored, 1);
}

TEST(CallClassified, MoveOnlyResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    std::unique_ptr<int> result = breaker.call_classified(
        [] { return std::unique_ptr<int>(); }, [](const std::unique_ptr<int>& p) { return p == nullptr; });

    EXPECT_EQ(result, nullptr);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

// call_with_fallback: the fallback handles rejections and exceptions.

TEST(CallWithFallback, ReturnsResultWhenCallSucceeds) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    bool fallback_ran = false;

    const int result = breaker.call_with_fallback([] { return 1; }, [&](const std::exception&) {
        fallback_ran = true;
        return 2;
    });

    EXPECT_EQ(result, 1);
    EXPECT_FALSE(fallback_ran);
}

TEST(CallWithFallback, ReceivesOwnException) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    CapturedError captured;

    const int result = breaker.call_with_fallback([]() -> int { throw ServiceError("connection reset"); },
                                                  [&](const std::exception& error) {
                                                      captured.capture(error);
                                                      return -1;
                                                  });

    EXPECT_EQ(result, -1);
    EXPECT_EQ(captured.type, "ServiceError");
    EXPECT_EQ(captured.message, "connection reset");
    EXPECT_EQ(breaker.info().calls.failed, 1);
    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(CallWithFallback, ReceivesCallNotPermittedError) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    bool ran = false;
    CapturedError captured;

    const int result = breaker.call_with_fallback(
        [&] {
            ran = true;
            return 1;
        },
        [&](const std::exception& error) {
            captured.capture(error);
            return 0;
        });

    EXPECT_EQ(result, 0);
    EXPECT_FALSE(ran);
    EXPECT_EQ(captured.type, "CallNotPermittedError");
    EXPECT_EQ(captured.message, "circuit breaker 'payments' is open");
    EXPECT_EQ(captured.rejected_by, State::open);
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(CallWithFallback, HalfOpenRejectionNamesHalfOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);
    harness.permit.set(false);
    CapturedError captured;

    (void)breaker.call_with_fallback([] { return 1; }, [&](const std::exception& error) {
        captured.capture(error);
        return 0;
    });

    EXPECT_EQ(captured.rejected_by, State::half_open);
}

TEST(CallWithFallback, ReceivesUntrackedExceptionAndRecordsNothing) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    CapturedError captured;

    const int result = breaker.call_with_fallback([]() -> int { throw IgnoredError("malformed request"); },
                                                  [&](const std::exception& error) {
                                                      captured.capture(error);
                                                      return 4;
                                                  });

    EXPECT_EQ(result, 4);
    EXPECT_EQ(captured.type, "IgnoredError");
    EXPECT_EQ(captured.message, "malformed request");
    EXPECT_EQ(breaker.info().metrics.total_count, 0);
    EXPECT_EQ(breaker.info().calls.ignored, 1);
}

TEST(CallWithFallback, UntrackedExceptionFreesHalfOpenSlot) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    enter_half_open(harness, breaker);

    (void)breaker.call_with_fallback([]() -> int { throw IgnoredError("malformed request"); },
                                     [](const std::exception&) { return 0; });

    EXPECT_TRUE(breaker.try_acquire().has_value());
}

TEST(CallWithFallback, NonStandardExceptionPropagates) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    bool fallback_ran = false;

    EXPECT_THROW((void)breaker.call_with_fallback([]() -> int { throw NonStandardError{}; },
                                                  [&](const std::exception&) {
                                                      fallback_ran = true;
                                                      return 0;
                                                  }),
                 NonStandardError);

    EXPECT_FALSE(fallback_ran);
    EXPECT_EQ(breaker.info().calls.ignored, 1);
}

TEST(CallWithFallback, FallbackExceptionPropagatesAfterRecording) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    FLUXGATE_EXPECT_THROW_MESSAGE(
        (void)breaker.call_with_fallback([]() -> int { throw ServiceError("down"); },
                                         [](const std::exception&) -> int { throw std::logic_error("no cache"); }),
        std::logic_error, "no cache");

    EXPECT_EQ(breaker.info().metrics.failure_count, 1);
}

TEST(CallWithFallback, VoidResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    trip(harness, breaker);
    std::string handled;

    breaker.call_with_fallback([] {}, [&](const std::exception& error) { handled = error.what(); });

    EXPECT_EQ(handled, "circuit breaker 'payments' is open");
}

TEST(CallWithFallback, FallbackResultConvertsToCallResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};

    const std::string result = breaker.call_with_fallback([]() -> std::string { throw ServiceError("down"); },
                                                          [](const std::exception&) { return "cached"; });

    EXPECT_EQ(result, "cached");
}

TEST(CallWithFallback, ForwardsArgumentsAndMoveOnlyResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto owned = std::make_unique<int>(6);

    std::unique_ptr<int> result = breaker.call_with_fallback(
        [](std::unique_ptr<int> p, int factor) { return std::make_unique<int>(*p * factor); },
        [](const std::exception&) { return std::unique_ptr<int>(); }, std::move(owned), 7);

    ASSERT_NE(result, nullptr);
    EXPECT_EQ(*result, 42);
    EXPECT_EQ(owned, nullptr);
}

// wrap: a callable that runs through the breaker on every call.

TEST(Wrap, RunsEveryCallThroughBreaker) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto guarded = breaker.wrap(add);

    const int first = guarded(1, 2);
    const int second = guarded(3, 4);

    EXPECT_EQ(first, 3);
    EXPECT_EQ(second, 7);
    EXPECT_EQ(breaker.info().calls.successful, 2);
}

TEST(Wrap, ForwardsArgumentsAndResults) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    Account account;
    auto guarded_ref = breaker.wrap(&Account::balance_ref);
    auto guarded_move = breaker.wrap([](std::unique_ptr<int> p) { return p; });
    auto owned = std::make_unique<int>(3);

    int& balance = guarded_ref(account);
    std::unique_ptr<int> moved = guarded_move(std::move(owned));

    EXPECT_EQ(&balance, &account.balance);
    ASSERT_NE(moved, nullptr);
    EXPECT_EQ(*moved, 3);
}

TEST(Wrap, KeepsItsOwnCopyOfCallable) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto counting = [count = 0]() mutable { return ++count; };
    auto guarded = breaker.wrap(counting);

    guarded();
    const int second = guarded();

    EXPECT_EQ(second, 2);
    EXPECT_EQ(counting(), 1);
}

TEST(Wrap, RejectsWhileOpen) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto guarded = breaker.wrap([] { return 1; });
    trip(harness, breaker);

    FLUXGATE_EXPECT_THROW_MESSAGE(guarded(), fg::CallNotPermittedError, "circuit breaker 'payments' is open");
}

TEST(Wrap, WithFallbackAnswersRejectionAndFailure) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    auto safe = breaker.wrap([](int code) -> int { return code == 0 ? throw ServiceError("down") : code; },
                             [](const std::exception&) { return -1; });

    const int ok = safe(5);
    const int failed = safe(0);
    trip(harness, breaker);
    const int rejected = safe(5);

    EXPECT_EQ(ok, 5);
    EXPECT_EQ(failed, -1);
    EXPECT_EQ(rejected, -1);
    EXPECT_EQ(breaker.info().calls.rejected, 1);
}

TEST(Wrap, VoidResult) {
    Harness harness;
    fg::CircuitBreaker breaker{harness.options()};
    int runs = 0;
    auto guarded = breaker.wrap([&runs] { ++runs; });

    guarded();
    guarded();

    EXPECT_EQ(runs, 2);
}
