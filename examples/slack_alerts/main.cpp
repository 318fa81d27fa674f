// Posts the transitions of a simulated failure cycle to a Slack channel,
// with every message text in Korean.
//
//   SLACK_BOT_TOKEN=xoxb-... SLACK_CHANNEL=C0123456789 ./slack_alerts
//
// The bot token needs the chat:write scope. SLACK_API_URL changes the API
// address, for example to a Slack-compatible gateway.

#include <fluxgate/fluxgate.hpp>
#include <fluxgate/slack.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace fg = fluxgate;
using namespace std::chrono_literals;
using namespace fg::trippers;

// Every text a team may translate; fields left out keep their English default.
fg::listeners::SlackTemplates korean_templates() {
    fg::listeners::SlackTemplates templates;
    templates.closed_to_open = {"🚨 서킷 브레이커 작동", "#FF4C4C", "요청 실패율이 임계값을 초과했습니다."};
    templates.open_to_half_open = {"🔄 서킷 브레이커 복구 시도", "#FFA500", "일부 요청으로 서비스 상태를 확인합니다."};
    templates.half_open_to_open = {"⚠️ 서킷 브레이커 재작동", "#FF4C4C", "시험 요청이 실패하여 다시 차단합니다."};
    templates.half_open_to_closed = {"✅ 서킷 브레이커 복구", "#36a64f", "시험 요청이 성공하여 서비스가 정상입니다."};
    templates.fallback = {"ℹ️ 서킷 브레이커 상태 변경", "#808080", "서킷 브레이커 상태가 변경되었습니다."};
    templates.breaker_label = "서킷 브레이커";
    templates.transition_label = "상태 전이";
    templates.time_label = "전이 시각";
    templates.description_label = "설명";
    templates.time_format = "%Y년 %m월 %d일 %H:%M:%S";
    return templates;
}

namespace {

int fetch_balance(bool healthy) {
    if (!healthy) {
        throw std::runtime_error("payment service unavailable");
    }
    return 100;
}

// Runs one call and prints how it ended.
void call(fg::CircuitBreaker& breaker, bool healthy) {
    try {
        std::printf("balance %d\n", breaker.call(fetch_balance, healthy));
    } catch (const std::exception& error) {
        std::printf("failed: %s\n", error.what());
    }
}

}  // namespace

int main() {
    const char* token = std::getenv("SLACK_BOT_TOKEN");
    const char* channel = std::getenv("SLACK_CHANNEL");
    if (token == nullptr || channel == nullptr) {
        std::fprintf(stderr, "usage: SLACK_BOT_TOKEN=xoxb-... SLACK_CHANNEL=C0123456789 slack_alerts\n");
        return 2;
    }
    fg::listeners::SlackOptions options{.templates = korean_templates()};
    if (const char* api_url = std::getenv("SLACK_API_URL")) {
        options.api_url = api_url;
    }

    // Keep a copy of the listener to read its counters; the copy in the
    // breaker shares its queue.
    fg::listeners::SlackListener slack("payments-api", channel, token, options);
    fg::CircuitBreaker breaker{{
        // Three failures in a row open the circuit; one failed probe reopens it.
        .tripper = (Closed() & FailureStreak(3)) | (HalfOpened() & FailureStreak(1)),
        .retry = fg::retries::Cooldown(1s),
        .permit = fg::permits::All(),
        .listeners = {slack, fg::listeners::LogListener("payments-api")},
    }};

    // Three failures open the circuit and start a thread; a failed probe
    // reopens it; a successful probe closes it and ends the thread.
    for (int i = 0; i < 3; ++i) {
        call(breaker, false);
    }
    std::this_thread::sleep_for(1100ms);
    call(breaker, false);
    std::this_thread::sleep_for(1100ms);
    call(breaker, true);

    const bool flushed = slack.flush(30s);
    const fg::listeners::SlackStats stats = slack.stats();
    std::printf("sent %llu, failed %llu, dropped %llu, retries %llu\n", static_cast<unsigned long long>(stats.sent),
                static_cast<unsigned long long>(stats.failed), static_cast<unsigned long long>(stats.dropped),
                static_cast<unsigned long long>(stats.retries));
    return flushed && stats.failed == 0 && stats.dropped == 0 ? 0 : 1;
}
