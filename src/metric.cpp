#include <fluxgate/metric.hpp>

#include <stdexcept>
#include <string>

namespace fluxgate {

namespace {

[[noreturn]] void throw_too_many_thresholds() {
    throw std::length_error("fluxgate: at most " + std::to_string(kMaxSlowThresholds) +
                            " distinct slow-call thresholds are supported");
}

}  // namespace

Thresholds::Thresholds(std::initializer_list<Duration> values) {
    for (Duration d : values) {
        insert(d);
    }
}

void Thresholds::insert(Duration d) {
    Duration* first = values_.data();
    Duration* last = first + size_;
    Duration* position = std::lower_bound(first, last, d);
    if (position != last && *position == d) {
        return;
    }
    if (size_ == kMaxSlowThresholds) {
        throw_too_many_thresholds();
    }
    std::move_backward(position, last, last + 1);
    *position = d;
    ++size_;
}

Metric::Metric(const Record& record) noexcept
    : total_count(1),
      failure_count(record.success ? 0 : 1),
      total_duration(record.duration),
      thresholds_(record.slow_at) {
    for (std::size_t i = 0; i < thresholds_.size(); ++i) {
        slow_counts_[i] = 1;
    }
}

std::int64_t Metric::slow_count(Duration threshold) const noexcept {
    const auto* position = std::lower_bound(thresholds_.begin(), thresholds_.end(), threshold);
    if (position == thresholds_.end() || *position != threshold) {
        return 0;
    }
    return slow_counts_[static_cast<std::size_t>(position - thresholds_.begin())];
}

std::optional<double> Metric::failure_rate() const noexcept {
    if (total_count == 0) {
        return std::nullopt;
    }
    return static_cast<double>(failure_count) / static_cast<double>(total_count);
}

std::optional<Duration> Metric::avg_duration() const noexcept {
    if (total_count == 0) {
        return std::nullopt;
    }
    return total_duration / total_count;
}

std::optional<double> Metric::slow_rate(Duration threshold) const noexcept {
    if (total_count == 0) {
        return std::nullopt;
    }
    return static_cast<double>(slow_count(threshold)) / static_cast<double>(total_count);
}

template <int Sign>
void Metric::combine(const Metric& other) {
    if (thresholds_.empty() && other.thresholds_.empty()) {
        total_count += Sign * other.total_count;
        failure_count += Sign * other.failure_count;
        total_duration += Sign * other.total_duration;
        return;
    }
    total_count += Sign * other.total_count;
    failure_count += Sign * other.failure_count;
    total_duration += Sign * other.total_duration;

    // Metrics of one breaker share their thresholds, so this loop is the common case.
    if (thresholds_ == other.thresholds_) {
        for (std::size_t i = 0; i < thresholds_.size(); ++i) {
            slow_counts_[i] += Sign * other.slow_counts_[i];
        }
        return;
    }

    // Merge two sorted threshold lists into a new one.
    Thresholds merged;
    std::array<std::int64_t, kMaxSlowThresholds> counts{};
    std::size_t i = 0;
    std::size_t j = 0;
    std::size_t out = 0;
    while (i < thresholds_.size() || j < other.thresholds_.size()) {
        const bool take_left =
            j == other.thresholds_.size() || (i < thresholds_.size() && thresholds_[i] <= other.thresholds_[j]);
        const bool take_right =
            i == thresholds_.size() || (j < other.thresholds_.size() && other.thresholds_[j] <= thresholds_[i]);
        const Duration threshold = take_left ? thresholds_[i] : other.thresholds_[j];
        if (out == kMaxSlowThresholds) {
            throw_too_many_thresholds();
        }
        std::int64_t count = 0;
        if (take_left) {
            count += slow_counts_[i++];
        }
        if (take_right) {
            count += Sign * other.slow_counts_[j++];
        }
        merged.insert(threshold);
        counts[out++] = count;
    }
    thresholds_ = merged;
    slow_counts_ = counts;
}

Metric& Metric::operator+=(const Metric& other) {
    combine<1>(other);
    return *this;
}

Metric& Metric::operator-=(const Metric& other) {
    combine<-1>(other);
    return *this;
}

bool operator==(const Metric& a, const Metric& b) noexcept {
    if (a.total_count != b.total_count || a.failure_count != b.failure_count ||
        a.total_duration != b.total_duration) {
        return false;
    }
    for (Duration threshold : a.thresholds_) {
        if (a.slow_count(threshold) != b.slow_count(threshold)) {
            return false;
        }
    }
    for (Duration threshold : b.thresholds_) {
        if (a.slow_count(threshold) != b.slow_count(threshold)) {
            return false;
        }
    }
    return true;
}

}  // namespace fluxgate
