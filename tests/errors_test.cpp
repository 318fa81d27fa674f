#include <fluxgate/errors.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fg = fluxgate;

namespace {

// Restores the handler that was installed when the test began, so that tests
// do not leak their handlers into each other.
class ErrorHandlerTest : public testing::Test {
protected:
    ErrorHandlerTest() : saved_(fg::set_error_handler({})) { fg::set_error_handler(saved_); }
    ~ErrorHandlerTest() override { fg::set_error_handler(saved_); }

private:
    fg::ErrorHandler saved_;
};

}  // namespace

TEST_F(ErrorHandlerTest, HandlerReceivesMessage) {
    std::vector<std::string> messages;
    fg::set_error_handler([&messages](std::string_view message) { messages.emplace_back(message); });

    fg::report_error("listener 0 of breaker 'payments' threw: boom");

    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0], "listener 0 of breaker 'payments' threw: boom");
}

TEST_F(ErrorHandlerTest, ReturnsPreviousHandler) {
    std::vector<std::string> first_messages;
    std::vector<std::string> second_messages;
    fg::set_error_handler([&first_messages](std::string_view message) { first_messages.emplace_back(message); });

    const fg::ErrorHandler previous =
        fg::set_error_handler([&second_messages](std::string_view message) { second_messages.emplace_back(message); });
    fg::report_error("to the second");
    ASSERT_TRUE(previous);
    previous("through the returned handler");

    EXPECT_EQ(first_messages, std::vector<std::string>{"through the returned handler"});
    EXPECT_EQ(second_messages, std::vector<std::string>{"to the second"});
}

TEST_F(ErrorHandlerTest, DefaultIsReturnedAsEmpty) {
    fg::set_error_handler({});

    const fg::ErrorHandler previous = fg::set_error_handler([](std::string_view) {});

    EXPECT_FALSE(previous);
}

TEST_F(ErrorHandlerTest, EmptyHandlerRestoresDefault) {
    std::vector<std::string> messages;
    fg::set_error_handler([&messages](std::string_view message) { messages.emplace_back(message); });

    fg::set_error_handler({});
    testing::internal::CaptureStderr();
    fg::report_error("exporter failed: connection refused");
    const std::string output = testing::internal::GetCapturedStderr();

    EXPECT_TRUE(messages.empty());
    EXPECT_EQ(output, "exporter failed: connection refused\n");
}

TEST_F(ErrorHandlerTest, ReportNeverThrows) {
    int calls = 0;
    fg::set_error_handler([&calls](std::string_view) {
        ++calls;
        throw std::runtime_error("handler failed");
    });

    EXPECT_NO_THROW(fg::report_error("first"));
    EXPECT_NO_THROW(fg::report_error("second"));

    EXPECT_EQ(calls, 2);
}

TEST_F(ErrorHandlerTest, ReportSwallowsNonStandardExceptions) {
    fg::set_error_handler([](std::string_view) { throw 42; });

    EXPECT_NO_THROW(fg::report_error("message"));
}

TEST_F(ErrorHandlerTest, ReportIsNoexcept) {
    static_assert(noexcept(fg::report_error("message")));
}

TEST_F(ErrorHandlerTest, ReplacedWhileReporting) {
    std::atomic<int> received{0};
    const fg::ErrorHandler counting = [&received](std::string_view) { ++received; };
    fg::set_error_handler(counting);

    std::vector<std::thread> reporters;
    for (int t = 0; t < 3; ++t) {
        reporters.emplace_back([] {
            for (int i = 0; i < 500; ++i) {
                fg::report_error("concurrent");
            }
        });
    }
    for (int i = 0; i < 200; ++i) {
        fg::set_error_handler(counting);
    }
    for (std::thread& reporter : reporters) {
        reporter.join();
    }

    // Every report reaches one of the installed handlers, all of which count.
    EXPECT_EQ(received.load(), 1500);
}
