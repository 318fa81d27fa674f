#include "http_client.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

#include <curl/curl.h>

#include <fluxgate/version.hpp>

namespace fluxgate::detail {

namespace {

// libcurl must be initialised before its first use. It is never cleaned up,
// because other code in the process may still use it.
void init_curl_once() {
    static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (result != CURLE_OK) {
        throw std::runtime_error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(result));
    }
}

// chat.postMessage replies are a few kilobytes; a larger body is cut off and
// the request fails, so a broken server cannot exhaust memory.
constexpr std::size_t kMaxResponseBytes = std::size_t{1} << 20;

// Maximum wait for socket activity before the abort flag is checked again;
// `wake` usually ends the wait sooner.
constexpr int kPollMilliseconds = 1000;

std::size_t append_to_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    const std::size_t bytes = size * count;
    if (body->size() + bytes > kMaxResponseBytes) {
        return 0;  // libcurl then ends the transfer with CURLE_WRITE_ERROR.
    }
    body->append(data, bytes);
    return bytes;
}

}  // namespace

struct HttpClient::Handles {
    CURLM* multi = nullptr;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string response;
    char error[CURL_ERROR_SIZE] = {};

    Handles() = default;
    Handles(const Handles&) = delete;
    Handles& operator=(const Handles&) = delete;

    ~Handles() {
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
        if (multi != nullptr) {
            curl_multi_cleanup(multi);
        }
        curl_slist_free_all(headers);
    }
};

HttpClient::HttpClient(const Config& config) : handles_(std::make_unique<Handles>()) {
    init_curl_once();
    Handles& h = *handles_;
    h.multi = curl_multi_init();
    h.easy = curl_easy_init();
    if (h.multi == nullptr || h.easy == nullptr) {
        throw std::runtime_error("libcurl could not create a transfer handle");
    }

    // curl_slist_append copies the line, so the token lives only in the list.
    const std::string authorization = "Authorization: Bearer " + config.token;
    for (const char* line : {authorization.c_str(), "Content-Type: application/json; charset=utf-8"}) {
        curl_slist* extended = curl_slist_append(h.headers, line);
        if (extended == nullptr) {
            throw std::runtime_error("libcurl could not store a request header");
        }
        h.headers = extended;
    }

    CURL* easy = h.easy;
    curl_easy_setopt(easy, CURLOPT_URL, config.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h.headers);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append_to_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &h.response);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, h.error);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout.count()));
    // Signals are unsafe in a multi-threaded process; the resolver is bounded
    // by the timeout all the same.
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "fluxgate/" FLUXGATE_VERSION_STRING);
    // Redirects stay off (libcurl's default), so the token only ever goes to
    // the configured host.
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (!config.verify_tls) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (config.loopback) {
        curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    }
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::post(const std::string& body, const std::atomic<bool>& abort) {
    Handles& h = *handles_;
    HttpResult result;
    h.response.clear();
    h.error[0] = '\0';
    curl_easy_setopt(h.easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (curl_multi_add_handle(h.multi, h.easy) != CURLM_OK) {
        result.error = "libcurl could not start the transfer";
        return result;
    }

    CURLcode code = CURLE_OK;
    bool finished = false;
    bool aborted = false;
    while (!finished) {
        int running = 0;
        if (curl_multi_perform(h.multi, &running) != CURLM_OK) {
            code = CURLE_SEND_ERROR;
            break;
        }
        int queued = 0;
        while (const CURLMsg* message = curl_multi_info_read(h.multi, &queued)) {
            if (message->msg == CURLMSG_DONE) {
                code = message->data.result;
                finished = true;
            }
        }
        if (finished) {
            break;
        }
        if (abort.load(std::memory_order_acquire)) {
            aborted = true;
            break;
        }
        curl_multi_poll(h.multi, nullptr, 0, kPollMilliseconds, nullptr);
    }
    curl_multi_remove_handle(h.multi, h.easy);

    if (aborted) {
        result.outcome = HttpResult::Outcome::aborted;
        result.error = "aborted";
        return result;
    }
    switch (code) {
        case CURLE_OK: {
            long status = 0;
            curl_off_t retry_after = 0;
            curl_easy_getinfo(h.easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(h.easy, CURLINFO_RETRY_AFTER, &retry_after);
            result.outcome = HttpResult::Outcome::completed;
            result.status = status;
            result.retry_after = std::chrono::seconds(retry_after > 0 ? retry_after : 0);
            result.body = std::move(h.response);
            return result;
        }
        case CURLE_OPERATION_TIMEDOUT: result.outcome = HttpResult::Outcome::timed_out; break;
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT: result.outcome = HttpResult::Outcome::not_connected; break;
        default: result.outcome = HttpResult::Outcome::transport_error; break;
    }
    result.error = h.error[0] != '\0' ? std::string(h.error) : std::string(curl_easy_strerror(code));
    return result;
}

void HttpClient::wake() noexcept { curl_multi_wakeup(handles_->multi); }

std::optional<UrlParts> split_url(const std::string& url) {
    init_curl_once();
    CURLU* handle = curl_url();
    if (handle == nullptr) {
        return std::nullopt;
    }
    std::optional<UrlParts> parts;
    char* scheme = nullptr;
    char* host = nullptr;
    if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        parts = UrlParts{scheme, host};
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(handle);
    return parts;
}

bool is_loopback_host(const std::string& host) noexcept {
    return host == "127.0.0.1" || host == "[::1]" || host == "::1";
}

}  // namespace fluxgate::detail
