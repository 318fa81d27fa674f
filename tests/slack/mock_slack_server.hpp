#pragma once

// A stand-in for Slack's chat.postMessage on 127.0.0.1, on a port the kernel
// chooses. It records every request and replies from a script.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fluxgate::testing {

/// The mock's reply to one request.
enum class SlackReply {
    success,       ///< 200, `ok: true` with a new `ts`
    not_ok,        ///< 200, `ok: false`, `error: channel_not_found`
    server_error,  ///< 500 with a plain-text body
    rate_limited,  ///< 429 with `Retry-After: 1`
    hang,          ///< waits until `release_hangs` (at most `kMaxHang`), then answers like `success`
    echo_headers,  ///< 401 with `ok: false` and the Authorization header echoed in `error`
};

/// One request as the mock received it.
struct RecordedRequest {
    std::string path;
    std::string authorization;
    std::string content_type;
    std::string raw_body;
    nlohmann::json body;
    SlackReply reply;
    /// `ts` the mock returned; empty unless the reply posted a message.
    std::string ts;
};

class MockSlackServer {
public:
    /// Upper bound on a `hang`, so that a test that never releases one
    /// still ends.
    static constexpr std::chrono::seconds kMaxHang{10};

    /// Serves plain http.
    MockSlackServer() : MockSlackServer(std::make_unique<httplib::Server>(), "http") {}

    /// Serves https with the certificate and private key in the PEM files given.
    MockSlackServer(const std::string& certificate, const std::string& private_key)
        : MockSlackServer(std::make_unique<httplib::SSLServer>(certificate.c_str(), private_key.c_str()), "https") {}

    ~MockSlackServer() {
        release_hangs();
        server_->stop();
        thread_.join();
    }

    MockSlackServer(const MockSlackServer&) = delete;
    MockSlackServer& operator=(const MockSlackServer&) = delete;

    /// Base address to give as `SlackOptions::api_url`.
    [[nodiscard]] std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_) + "/api"; }

    /// Replies to the next requests with `replies`, in order, then with the default.
    void script(std::vector<SlackReply> replies) {
        std::lock_guard lock(mutex_);
        script_.assign(replies.begin(), replies.end());
    }

    /// Sets the reply used once the script is exhausted.
    void set_default(SlackReply reply) {
        std::lock_guard lock(mutex_);
        default_ = reply;
    }

    [[nodiscard]] std::vector<RecordedRequest> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

    /// Waits until at least `count` requests arrived, for at most `timeout`.
    bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
    }

    /// Waits until `count` requests are hanging, for at most `timeout`.
    bool wait_for_hanging(std::size_t count, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return hanging_ >= count; });
    }

    /// Requests currently held by a `hang` reply.
    [[nodiscard]] std::size_t hanging() const {
        std::lock_guard lock(mutex_);
        return hanging_;
    }

    /// Lets every held request respond, and makes later `hang` replies respond at once.
    void release_hangs() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        changed_.notify_all();
    }

private:
    MockSlackServer(std::unique_ptr<httplib::Server> server, std::string scheme)
        : server_(std::move(server)), scheme_(std::move(scheme)) {
        if (!server_->is_valid()) {
            throw std::runtime_error("mock Slack server: the TLS certificate or key could not be loaded");
        }
        server_->Post("/api/chat.postMessage",
                      [this](const httplib::Request& request, httplib::Response& response) { handle(request, response); });
        port_ = server_->bind_to_any_port("127.0.0.1");
        if (port_ <= 0) {
            throw std::runtime_error("mock Slack server: binding 127.0.0.1 failed");
        }
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        // httplib's stop() does nothing before the accept loop runs, so the
        // destructor could not end the thread; wait for the loop, bounded.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

    void handle(const httplib::Request& request, httplib::Response& response) {
        std::unique_lock lock(mutex_);
        SlackReply reply = default_;
        if (!script_.empty()) {
            reply = script_.front();
            script_.pop_front();
        }
        // Recorded on arrival, so that the order is the order of sending
        // even when an earlier request is still held.
        const std::size_t index = requests_.size();
        requests_.push_back({request.path, request.get_header_value("Authorization"),
                             request.get_header_value("Content-Type"), request.body,
                             nlohmann::json::parse(request.body, nullptr, false), reply, {}});
        changed_.notify_all();
        if (reply == SlackReply::hang) {
            ++hanging_;
            changed_.notify_all();
            changed_.wait_for(lock, kMaxHang, [this] { return released_; });
            --hanging_;
        }
        if (reply == SlackReply::success || reply == SlackReply::hang) {
            char ts[32];
            std::snprintf(ts, sizeof ts, "1700000000.%06zu", ++messages_posted_);
            requests_[index].ts = ts;
        }
        const RecordedRequest record = requests_[index];
        lock.unlock();

        switch (reply) {
            case SlackReply::success:
            case SlackReply::hang:
                response.set_content(nlohmann::json{{"ok", true}, {"channel", "C0123456789"}, {"ts", record.ts}}.dump(),
                                     "application/json");
                break;
            case SlackReply::not_ok:
                response.set_content(R"({"ok":false,"error":"channel_not_found"})", "application/json");
                break;
            case SlackReply::server_error:
                response.status = 500;
                response.set_content("internal error", "text/plain");
                break;
            case SlackReply::rate_limited:
                response.status = 429;
                response.set_header("Retry-After", "1");
                response.set_content(R"({"ok":false,"error":"ratelimited"})", "application/json");
                break;
            case SlackReply::echo_headers:
                response.status = 401;
                response.set_content(
                    nlohmann::json{{"ok", false}, {"error", "invalid_auth: " + record.authorization}}.dump(),
                    "application/json");
                break;
        }
    }

    std::unique_ptr<httplib::Server> server_;
    std::string scheme_;
    int port_ = 0;
    std::thread thread_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<SlackReply> script_;
    SlackReply default_ = SlackReply::success;
    std::vector<RecordedRequest> requests_;
    std::size_t hanging_ = 0;
    std::size_t messages_posted_ = 0;
    bool released_ = false;
};

}  // namespace fluxgate::testing
