#include <fluxgate/slack.hpp>

#include <fluxgate/fluxgate.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mock_slack_server.hpp"
#include "support/expect_throw.hpp"

#if defined(__SANITIZE_THREAD__)
#define FLUXGATE_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLUXGATE_TEST_UNDER_TSAN 1
#endif
#endif

#ifdef FLUXGATE_TEST_UNDER_TSAN
// The mock server runs on Debian's prebuilt cpp-httplib 0.11.4, which has no
// TSan instrumentation. Under load, TSan once reported a race between two of
// its own worker threads with no fluxgate frame on either stack, so reports
// raised from inside that library are suppressed. Fluxgate's code stays
// fully checked.
extern "C" const char* __tsan_default_suppressions() { return "called_from_lib:libcpp-httplib.so\n"; }
#endif

using namespace std::chrono_literals;
namespace fg = fluxgate;
using fg::listeners::SlackListener;
using fg::listeners::SlackOptions;
using fg::testing::MockSlackServer;
using fg::testing::RecordedRequest;
using fg::testing::SlackReply;
using nlohmann::json;

namespace {

constexpr const char* kToken = "xoxb-1111-2222-SecretTokenValue";
const std::string kCertificate = FLUXGATE_SLACK_TEST_DATA "/loopback-cert.pem";
const std::string kPrivateKey = FLUXGATE_SLACK_TEST_DATA "/loopback-key.pem";

// Every expected time below is in this zone: UTC+9, written as a POSIX TZ
// rule so that no time zone database is needed.
class KoreanTimeZone : public ::testing::Environment {
public:
    void SetUp() override {
        setenv("TZ", "KST-9", 1);
        tzset();
    }
};

[[maybe_unused]] const auto* const kTimeZone = ::testing::AddGlobalTestEnvironment(new KoreanTimeZone);

// Collects what the listener passes to the error handler.
class CapturedErrors {
public:
    CapturedErrors() {
        previous_ = fg::set_error_handler([this](std::string_view message) {
            std::lock_guard lock(mutex_);
            messages_.emplace_back(message);
        });
    }
    ~CapturedErrors() { fg::set_error_handler(std::move(previous_)); }
    CapturedErrors(const CapturedErrors&) = delete;
    CapturedErrors& operator=(const CapturedErrors&) = delete;

    [[nodiscard]] std::vector<std::string> messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }

    [[nodiscard]] std::size_t count_containing(std::string_view text) const {
        std::size_t count = 0;
        for (const std::string& message : messages()) {
            count += message.find(text) != std::string::npos ? 1u : 0u;
        }
        return count;
    }

private:
    fg::ErrorHandler previous_;
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
};

SlackOptions options_for(const MockSlackServer& server) {
    SlackOptions options;
    options.api_url = server.url();
    options.retry_delay = 20ms;
    options.max_retry_delay = 2s;
    options.request_timeout = 5s;
    return options;
}

fg::Signal make_signal(fg::State from, fg::State to) { return {from, to, fg::WallTime{}}; }

// The texts of the four fields, in order: name, transition, time, description.
std::vector<std::string> field_texts(const RecordedRequest& request) {
    std::vector<std::string> texts;
    for (const json& field : request.body.at("attachments").at(0).at("blocks").at(1).at("fields")) {
        texts.push_back(field.at("text").get<std::string>());
    }
    return texts;
}

std::string title_of(const RecordedRequest& request) {
    return request.body.at("attachments").at(0).at("blocks").at(0).at("text").at("text").get<std::string>();
}

std::string color_of(const RecordedRequest& request) {
    return request.body.at("attachments").at(0).at("color").get<std::string>();
}

std::optional<std::string> thread_of(const RecordedRequest& request) {
    if (!request.body.contains("thread_ts")) {
        return std::nullopt;
    }
    return request.body.at("thread_ts").get<std::string>();
}

bool broadcast_of(const RecordedRequest& request) {
    return request.body.contains("reply_broadcast") && request.body.at("reply_broadcast").get<bool>();
}

std::string transition_of(const RecordedRequest& request) { return field_texts(request).at(1); }

// A breaker that opens on one failure, allows a probe after 10 s and
// admits every probe, so each call below makes a known transition.
fg::Options cycle_options(const SlackListener& slack, const std::shared_ptr<fg::ManualClock>& clock) {
    return {
        .tripper = fg::trippers::FailureStreak(1),
        .retry = fg::retries::Cooldown(10s),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .listeners = {slack},
        .clock = clock,
        .name = "payments-api",
    };
}

void fail_call(fg::CircuitBreaker& breaker) {
    EXPECT_THROW(breaker.call([]() -> int { throw std::runtime_error("payment service down"); }),
                 std::runtime_error);
}

void succeed_call(fg::CircuitBreaker& breaker) { EXPECT_EQ(breaker.call([] { return 200; }), 200); }

}  // namespace

TEST(SlackListener, RejectsInvalidArguments) {
    SlackOptions http_remote;
    http_remote.api_url = "http://slack.example.com/api";
    SlackOptions unverified;
    unverified.verify_tls = false;
    SlackOptions ftp;
    ftp.api_url = "ftp://127.0.0.1/api";
    SlackOptions no_queue;
    no_queue.queue_capacity = 0;
    SlackOptions short_max;
    short_max.retry_delay = 2s;
    short_max.max_retry_delay = 1s;
    SlackOptions negative_shutdown;
    negative_shutdown.shutdown_timeout = -1ms;

    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "", kToken), std::invalid_argument,
                                  "SlackListener: channel must be non-empty, got an empty string");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", ""), std::invalid_argument,
                                  "SlackListener: token must be non-empty, got an empty string");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", "xoxb-12\r\nX-Injected: 1"), std::invalid_argument,
                                  "SlackListener: token must be printable ASCII without spaces, got byte 0x0d at index 7");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, http_remote), std::invalid_argument,
                                  "SlackListener: api_url must be https unless its host is 127.0.0.1 or ::1, "
                                  "got \"http://slack.example.com/api\"");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, unverified), std::invalid_argument,
                                  "SlackListener: verify_tls must be true unless the host of api_url is 127.0.0.1 "
                                  "or ::1, got false for host \"slack.com\"");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, ftp), std::invalid_argument,
                                  "SlackListener: api_url must be an absolute http or https URL, "
                                  "got \"ftp://127.0.0.1/api\"");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, no_queue), std::invalid_argument,
                                  "SlackListener: queue_capacity must be at least 1, got 0");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, short_max), std::invalid_argument,
                                  "SlackListener: max_retry_delay must be at least retry_delay (2s), got 1s");
    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, negative_shutdown), std::invalid_argument,
                                  "SlackListener: shutdown_timeout must be at least 0, got -1ms");
}

TEST(SlackListener, MasksTokenInRejectedAddress) {
    SlackOptions options;
    options.api_url = std::string("http://gateway.example.com/") + kToken + "/api";

    FLUXGATE_EXPECT_THROW_MESSAGE(SlackListener("api", "C1", kToken, options), std::invalid_argument,
                                  "SlackListener: api_url must be https unless its host is 127.0.0.1 or ::1, "
                                  "got \"http://gateway.example.com/[token]/api\"");
}

TEST(SlackListener, PostsFullFailureCycleInOneThread) {
    MockSlackServer server;
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(cycle_options(slack, clock));

    fail_call(breaker);  // closed -> open
    clock->advance(11s);
    fail_call(breaker);  // open -> half_open -> open
    clock->advance(11s);
    succeed_call(breaker);  // open -> half_open -> closed
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 5u);
    const std::string thread = requests[0].ts;
    EXPECT_FALSE(thread.empty());
    EXPECT_EQ(thread_of(requests[0]), std::nullopt);
    for (std::size_t i = 1; i < requests.size(); ++i) {
        EXPECT_EQ(thread_of(requests[i]), thread) << "message " << i;
        EXPECT_EQ(broadcast_of(requests[i]), i == 4) << "message " << i;
    }
    EXPECT_EQ(transition_of(requests[0]), "*State Transition:*\nclosed → open");
    EXPECT_EQ(transition_of(requests[1]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(transition_of(requests[2]), "*State Transition:*\nhalf_open → open");
    EXPECT_EQ(transition_of(requests[3]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(transition_of(requests[4]), "*State Transition:*\nhalf_open → closed");
    EXPECT_EQ(slack.stats().sent, 5u);
}

TEST(SlackListener, SendsTemplatesFieldsAndToken) {
    MockSlackServer server;
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(cycle_options(slack, clock));

    fail_call(breaker);
    clock->advance(11s);
    fail_call(breaker);
    clock->advance(11s);
    succeed_call(breaker);
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 5u);
    const RecordedRequest& first = requests[0];
    EXPECT_EQ(first.path, "/api/chat.postMessage");
    EXPECT_EQ(first.authorization, std::string("Bearer ") + kToken);
    EXPECT_EQ(first.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(first.body.at("channel"), "C0123456789");
    EXPECT_EQ(title_of(first), "*🚨 Circuit Breaker Triggered*");
    EXPECT_EQ(color_of(first), "#FF4C4C");
    EXPECT_EQ(field_texts(first),
              (std::vector<std::string>{"*Circuit Breaker:*\npayments-api", "*State Transition:*\nclosed → open",
                                        "*Transition Time:*\n2024-01-01 09:00:00 KST",
                                        "*Description:*\nThe request failure rate exceeded the threshold."}));
    EXPECT_EQ(title_of(requests[1]), "*🔄 Attempting Circuit Breaker Recovery*");
    EXPECT_EQ(color_of(requests[1]), "#FFA500");
    EXPECT_EQ(title_of(requests[2]), "*⚠️ Circuit Breaker Re-triggered*");
    EXPECT_EQ(color_of(requests[2]), "#FF4C4C");
    EXPECT_EQ(title_of(requests[4]), "*✅ Circuit Breaker Recovered*");
    EXPECT_EQ(color_of(requests[4]), "#36a64f");
    EXPECT_EQ(field_texts(requests[4]).at(2), "*Transition Time:*\n2024-01-01 09:00:22 KST");
}

TEST(SlackListener, EndingStatesStartNewThread) {
    MockSlackServer server;
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(cycle_options(slack, clock));

    fail_call(breaker);      // closed -> open: starts thread 1
    breaker.disable();       // open -> disabled: replies in thread 1 and ends it
    breaker.reset();         // disabled -> closed: in the channel
    fail_call(breaker);      // closed -> open: starts thread 2
    breaker.force_open();    // open -> forced_open: replies in thread 2
    breaker.metrics_only();  // forced_open -> metrics_only: replies in thread 2 and ends it
    breaker.reset();         // metrics_only -> closed: in the channel, not a broadcast
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 7u);
    const std::string thread1 = requests[0].ts;
    const std::string thread2 = requests[3].ts;
    EXPECT_NE(thread1, thread2);
    EXPECT_EQ(thread_of(requests[0]), std::nullopt);
    EXPECT_EQ(thread_of(requests[1]), thread1);
    EXPECT_EQ(thread_of(requests[2]), std::nullopt);
    EXPECT_EQ(thread_of(requests[3]), std::nullopt);
    EXPECT_EQ(thread_of(requests[4]), thread2);
    EXPECT_EQ(thread_of(requests[5]), thread2);
    EXPECT_EQ(thread_of(requests[6]), std::nullopt);
    for (const RecordedRequest& request : requests) {
        EXPECT_FALSE(broadcast_of(request)) << transition_of(request);
    }
    EXPECT_EQ(title_of(requests[1]), "*ℹ️ Circuit Breaker State Changed*");
    EXPECT_EQ(color_of(requests[1]), "#808080");
}

TEST(SlackListener, KoreanTemplatesPassThroughIntact) {
    MockSlackServer server;
    SlackOptions options = options_for(server);
    options.templates.closed_to_open = {"🚨 서킷 브레이커 작동", "#FF4C4C", "요청 실패율이 임계값을 초과했습니다."};
    options.templates.fallback = {"ℹ️ 서킷 브레이커 상태 변경", "#808080", "서킷 브레이커 상태가 변경되었습니다."};
    options.templates.breaker_label = "서킷 브레이커";
    options.templates.transition_label = "상태 전이";
    options.templates.time_label = "전이 시각";
    options.templates.description_label = "설명";
    options.templates.time_format = "%Y년 %m월 %d일 %H시 %M분 %S초";
    SlackListener slack("결제-API", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    slack(make_signal(fg::State::open, fg::State::forced_open));
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(title_of(requests[0]), "*🚨 서킷 브레이커 작동*");
    EXPECT_EQ(field_texts(requests[0]),
              (std::vector<std::string>{"*서킷 브레이커:*\n결제-API", "*상태 전이:*\nclosed → open",
                                        "*전이 시각:*\n1970년 01월 01일 09시 00분 00초",
                                        "*설명:*\n요청 실패율이 임계값을 초과했습니다."}));
    EXPECT_EQ(title_of(requests[1]), "*ℹ️ 서킷 브레이커 상태 변경*");
    // The body carries the UTF-8 bytes themselves, not \u escapes.
    EXPECT_NE(requests[0].raw_body.find("서킷 브레이커 작동"), std::string::npos);
}

TEST(SlackListener, EscapesBreakerNameAndReplacesInvalidUtf8) {
    MockSlackServer server;
    SlackOptions options = options_for(server);
    options.templates.fallback.description = "bad \xff byte";
    SlackListener slack("<!channel> & co", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::disabled));
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(field_texts(requests[0]).at(0), "*Circuit Breaker:*\n&lt;!channel&gt; &amp; co");
    EXPECT_EQ(field_texts(requests[0]).at(3), "*Description:*\nbad \uFFFD byte");
    EXPECT_EQ(slack.stats().sent, 1u);
}

TEST(SlackListener, DeliversBurstInOrder) {
    MockSlackServer server;
    SlackOptions options = options_for(server);
    options.queue_capacity = 64;
    SlackListener slack("payments-api", "C0123456789", kToken, options);
    const fg::State cycle[] = {fg::State::closed, fg::State::open, fg::State::half_open};
    std::vector<std::string> expected;

    for (int i = 0; i < 60; ++i) {
        const fg::State from = cycle[i % 3];
        const fg::State to = cycle[(i + 1) % 3];
        slack(make_signal(from, to));
        expected.push_back("*State Transition:*\n" + std::string(fg::to_string(from)) + " → " +
                           std::string(fg::to_string(to)));
    }
    ASSERT_TRUE(slack.flush(20s));

    std::vector<std::string> received;
    for (const RecordedRequest& request : server.requests()) {
        received.push_back(transition_of(request));
    }
    EXPECT_EQ(received, expected);
    EXPECT_EQ(slack.stats().sent, 60u);
    EXPECT_EQ(slack.stats().dropped, 0u);
}

TEST(SlackListener, DropsNewestWhenQueueIsFull) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::hang});
    SlackOptions options = options_for(server);
    options.queue_capacity = 3;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(server.wait_for_hanging(1, 5s));
    slack(make_signal(fg::State::open, fg::State::half_open));
    slack(make_signal(fg::State::half_open, fg::State::open));
    slack(make_signal(fg::State::open, fg::State::half_open));
    slack(make_signal(fg::State::half_open, fg::State::closed));
    slack(make_signal(fg::State::closed, fg::State::disabled));
    const fg::listeners::SlackStats while_full = slack.stats();
    server.release_hangs();
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(while_full.dropped, 2u);
    std::vector<std::string> received;
    for (const RecordedRequest& request : server.requests()) {
        received.push_back(transition_of(request));
    }
    EXPECT_EQ(received, (std::vector<std::string>{
                            "*State Transition:*\nclosed → open", "*State Transition:*\nopen → half_open",
                            "*State Transition:*\nhalf_open → open", "*State Transition:*\nopen → half_open"}));
    EXPECT_EQ(slack.stats().sent, 4u);
    EXPECT_EQ(errors.count_containing("queue is full (3 messages), dropped the message for half_open -> closed"), 1u);
    EXPECT_EQ(errors.count_containing("queue is full (3 messages), dropped the message for closed -> disabled"), 1u);
}

TEST(SlackListener, DroppedCloseStillEndsThread) {
    MockSlackServer server;
    server.script({SlackReply::hang});
    SlackOptions options = options_for(server);
    options.queue_capacity = 1;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(server.wait_for_hanging(1, 5s));
    slack(make_signal(fg::State::open, fg::State::half_open));
    slack(make_signal(fg::State::half_open, fg::State::closed));  // dropped: the queue has room for one message
    server.release_hangs();
    ASSERT_TRUE(slack.flush(10s));
    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(thread_of(requests[1]), requests[0].ts);
    EXPECT_EQ(thread_of(requests[2]), std::nullopt);
    EXPECT_EQ(slack.stats().dropped, 1u);
}

TEST(SlackListener, RetriesAfterRetryAfterInOrder) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::rate_limited});
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));

    slack(make_signal(fg::State::closed, fg::State::open));
    slack(make_signal(fg::State::open, fg::State::half_open));
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[0].reply, SlackReply::rate_limited);
    EXPECT_EQ(requests[1].raw_body, requests[0].raw_body);
    EXPECT_EQ(transition_of(requests[2]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(thread_of(requests[2]), requests[1].ts);
    EXPECT_EQ(slack.stats().retries, 1u);
    EXPECT_EQ(slack.stats().sent, 2u);
    EXPECT_EQ(errors.count_containing("chat.postMessage for closed -> open failed: HTTP 429 (rate limited); "
                                      "retrying in 1s (attempt 1 of 3)"),
              1u);
}

TEST(SlackListener, RetriesServerErrorThenGivesUp) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::server_error, SlackReply::server_error, SlackReply::server_error});
    SlackOptions options = options_for(server);
    options.max_attempts = 2;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));  // 500, 500: given up
    slack(make_signal(fg::State::open, fg::State::half_open));  // 500, then sent
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(transition_of(requests[0]), "*State Transition:*\nclosed → open");
    EXPECT_EQ(transition_of(requests[1]), "*State Transition:*\nclosed → open");
    EXPECT_EQ(transition_of(requests[2]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(transition_of(requests[3]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(slack.stats().failed, 1u);
    EXPECT_EQ(slack.stats().sent, 1u);
    EXPECT_EQ(slack.stats().retries, 2u);
    EXPECT_EQ(errors.count_containing("chat.postMessage for closed -> open failed: HTTP 500; retrying in 20ms "
                                      "(attempt 1 of 2)"),
              1u);
    EXPECT_EQ(errors.count_containing("chat.postMessage for closed -> open failed: HTTP 500; giving up after 2 "
                                      "attempts"),
              1u);
}

TEST(SlackListener, DoesNotRetrySlackError) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::not_ok});
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(slack.stats().failed, 1u);
    EXPECT_EQ(slack.stats().retries, 0u);
    EXPECT_EQ(errors.messages(),
              (std::vector<std::string>{"fluxgate: SlackListener 'payments-api': chat.postMessage for closed -> open "
                                        "failed: Slack error \"channel_not_found\""}));
}

TEST(SlackListener, TimesOutWithoutRetrying) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::hang});
    SlackOptions options = options_for(server);
    options.request_timeout = 300ms;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    slack(make_signal(fg::State::open, fg::State::half_open));
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(transition_of(requests[1]), "*State Transition:*\nopen → half_open");
    EXPECT_EQ(slack.stats().failed, 1u);
    EXPECT_EQ(slack.stats().sent, 1u);
    EXPECT_EQ(errors.count_containing("chat.postMessage for closed -> open failed: timed out after 300ms"), 1u);
}

TEST(SlackListener, RetriesWhenConnectionFails) {
    CapturedErrors errors;
    std::string unused_url;
    {
        MockSlackServer closed_server;
        unused_url = closed_server.url();
    }
    SlackOptions options;
    options.api_url = unused_url;
    options.retry_delay = 10ms;
    options.max_attempts = 2;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(slack.stats().retries, 1u);
    EXPECT_EQ(slack.stats().failed, 1u);
    EXPECT_EQ(errors.count_containing("failed: connection failed: "), 2u);
}

TEST(SlackListener, PostsOverUnverifiedTlsToLoopback) {
    MockSlackServer server(kCertificate, kPrivateKey);
    SlackOptions options = options_for(server);
    options.verify_tls = false;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(server.url().substr(0, 8), "https://");
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(slack.stats().sent, 1u);
}

TEST(SlackListener, RejectsUntrustedCertificate) {
    CapturedErrors errors;
    MockSlackServer server(kCertificate, kPrivateKey);
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));

    slack(make_signal(fg::State::closed, fg::State::open));
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(server.requests().size(), 0u);
    EXPECT_EQ(slack.stats().failed, 1u);
    EXPECT_EQ(slack.stats().retries, 0u);
    EXPECT_EQ(errors.count_containing("chat.postMessage for closed -> open failed: SSL certificate problem"), 1u);
}

TEST(SlackListener, NeverLogsToken) {
    CapturedErrors errors;
    MockSlackServer server;
    server.script({SlackReply::echo_headers, SlackReply::server_error, SlackReply::hang, SlackReply::not_ok});
    SlackOptions options = options_for(server);
    options.max_attempts = 1;
    options.request_timeout = 300ms;
    options.queue_capacity = 1;
    SlackListener slack("payments-api", "C0123456789", kToken, options);

    slack(make_signal(fg::State::closed, fg::State::open));        // echoes the token in its error
    ASSERT_TRUE(slack.flush(10s));
    slack(make_signal(fg::State::open, fg::State::half_open));     // HTTP 500
    ASSERT_TRUE(slack.flush(10s));
    slack(make_signal(fg::State::half_open, fg::State::open));     // hangs and times out
    ASSERT_TRUE(server.wait_for_hanging(1, 5s));
    slack(make_signal(fg::State::open, fg::State::half_open));     // queued: ok: false
    slack(make_signal(fg::State::half_open, fg::State::closed));   // dropped: the queue is full
    ASSERT_TRUE(slack.flush(10s));

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[0].authorization, std::string("Bearer ") + kToken);
    const std::vector<std::string> messages = errors.messages();
    EXPECT_EQ(messages.size(), 5u);
    for (const std::string& message : messages) {
        EXPECT_EQ(message.find("SecretTokenValue"), std::string::npos) << message;
    }
    EXPECT_EQ(errors.count_containing("HTTP 401, Slack error \"invalid_auth: Bearer [token]\""), 1u);
}

TEST(SlackListener, HangingSlackNeverDelaysCalls) {
    MockSlackServer server;
    server.set_default(SlackReply::hang);
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker breaker(cycle_options(slack, clock));

    fail_call(breaker);  // closed -> open: its message hangs in Slack
    ASSERT_TRUE(server.wait_for_hanging(1, 5s));
    for (int cycle = 0; cycle < 5; ++cycle) {
        clock->advance(11s);
        succeed_call(breaker);  // open -> half_open -> closed
        fail_call(breaker);     // closed -> open
    }
    // Every call above returned while the first request is still held: a
    // listener that waited for Slack would still be waiting, and the hang
    // would have ended by its own time limit.
    const std::size_t hanging_after_calls = server.hanging();
    const fg::listeners::SlackStats stats_after_calls = slack.stats();
    server.release_hangs();
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(hanging_after_calls, 1u);
    EXPECT_EQ(stats_after_calls.sent, 0u);
    EXPECT_EQ(breaker.state(), fg::State::open);
    EXPECT_EQ(slack.stats().sent, 16u);
}

TEST(SlackListener, ShutdownGivesUpAfterTimeout) {
    CapturedErrors errors;
    MockSlackServer server;
    server.set_default(SlackReply::hang);
    SlackOptions options = options_for(server);
    options.shutdown_timeout = 200ms;
    {
        SlackListener slack("payments-api", "C0123456789", kToken, options);
        slack(make_signal(fg::State::closed, fg::State::open));
        ASSERT_TRUE(server.wait_for_hanging(1, 5s));
        slack(make_signal(fg::State::open, fg::State::half_open));
        slack(make_signal(fg::State::half_open, fg::State::open));
    }

    // The listener is gone while Slack still has its request open.
    EXPECT_EQ(server.hanging(), 1u);
    EXPECT_EQ(errors.count_containing("message for closed -> open dropped because the shutdown timeout of 200ms "
                                      "ran out"),
              1u);
    EXPECT_EQ(errors.count_containing("2 queued messages dropped because the shutdown timeout of 200ms ran out"),
              1u);
}

TEST(SlackListener, ShutdownSendsQueuedMessages) {
    MockSlackServer server;
    {
        SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
        slack(make_signal(fg::State::closed, fg::State::open));
        slack(make_signal(fg::State::open, fg::State::half_open));
        slack(make_signal(fg::State::half_open, fg::State::closed));
    }

    const std::vector<RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(transition_of(requests[2]), "*State Transition:*\nhalf_open → closed");
    EXPECT_TRUE(broadcast_of(requests[2]));
}

TEST(SlackListener, CopiesShareOneQueue) {
    MockSlackServer server;
    SlackListener slack("payments-api", "C0123456789", kToken, options_for(server));
    const SlackListener copy = slack;

    copy(make_signal(fg::State::closed, fg::State::open));
    slack(make_signal(fg::State::open, fg::State::half_open));
    ASSERT_TRUE(slack.flush(10s));

    EXPECT_EQ(copy.stats().sent, 2u);
    EXPECT_EQ(thread_of(server.requests().at(1)), server.requests().at(0).ts);
}
