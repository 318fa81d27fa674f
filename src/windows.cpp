#include <fluxgate/windows.hpp>

#include <algorithm>
#include <chrono>

#include <fluxgate/detail/validate.hpp>

namespace fluxgate::windows {

CountWindow::CountWindow(std::int64_t size) {
    if (size < 1 || size > kMaxSize) {
        detail::throw_invalid("CountWindow", "size", "in [1, " + std::to_string(kMaxSize) + "]",
                              std::to_string(size));
    }
    records_.resize(static_cast<std::size_t>(size));
}

void CountWindow::record(const Record& record) {
    Record& slot = records_[next_];
    if (filled_ == records_.size()) {
        total_ -= slot;
    } else {
        ++filled_;
    }
    slot = record;
    total_ += record;
    next_ = next_ + 1 == records_.size() ? 0 : next_ + 1;
}

Metric CountWindow::get_metric(TimePoint) const { return total_; }

void CountWindow::reset() {
    next_ = 0;
    filled_ = 0;
    total_ = Metric();
}

namespace {

std::int64_t second_of(TimePoint t) noexcept {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

TimeWindow::TimeWindow(std::chrono::seconds size) {
    if (size < std::chrono::seconds(1) || size > kMaxSize) {
        detail::throw_invalid("TimeWindow", "size", "in [1s, " + detail::format_duration(kMaxSize) + "]",
                              detail::format_duration(size));
    }
    buckets_.resize(static_cast<std::size_t>(size.count()), Bucket{kNoSecond, Metric()});
}

TimeWindow::Bucket& TimeWindow::bucket_for(std::int64_t second) noexcept {
    const auto size = static_cast<std::int64_t>(buckets_.size());
    auto index = second % size;
    if (index < 0) {
        index += size;
    }
    return buckets_[static_cast<std::size_t>(index)];
}

const TimeWindow::Bucket& TimeWindow::bucket_for(std::int64_t second) const noexcept {
    return const_cast<TimeWindow*>(this)->bucket_for(second);
}

// Makes `second` the newest second, dropping every bucket that falls out of
// (second - size, second]. Each bucket is visited at most once, so a gap of
// any length costs at most `size` steps.
void TimeWindow::expire_through(std::int64_t second) noexcept {
    const auto size = static_cast<std::int64_t>(buckets_.size());
    if (newest_ == kNoSecond || second - newest_ >= size) {
        std::fill(buckets_.begin(), buckets_.end(), Bucket{kNoSecond, Metric()});
        total_ = Metric();
    } else {
        for (std::int64_t s = newest_ + 1; s <= second; ++s) {
            Bucket& bucket = bucket_for(s);
            if (bucket.second != kNoSecond) {
                total_ -= bucket.metric;
                bucket = Bucket{kNoSecond, Metric()};
            }
        }
    }
    newest_ = second;
}

void TimeWindow::record(const Record& record) {
    const std::int64_t second = second_of(record.timestamp);
    const auto size = static_cast<std::int64_t>(buckets_.size());
    if (newest_ == kNoSecond || second > newest_) {
        expire_through(second);
    } else if (second <= newest_ - size) {
        return;  // Older than the window: dropped, so that it cannot wipe newer data.
    }
    Bucket& bucket = bucket_for(second);
    if (bucket.second != second) {
        bucket = Bucket{second, Metric()};
    }
    bucket.metric += record;
    total_ += record;
}

Metric TimeWindow::get_metric(TimePoint now) const {
    if (newest_ == kNoSecond) {
        return Metric();
    }
    const std::int64_t second = second_of(now);
    const auto size = static_cast<std::int64_t>(buckets_.size());
    if (second == newest_) {
        return total_;
    }
    if (second > newest_) {
        if (second - newest_ >= size) {
            return Metric();
        }
        Metric result = total_;
        for (std::int64_t s = newest_ - size + 1; s <= second - size; ++s) {
            const Bucket& bucket = bucket_for(s);
            if (bucket.second == s) {
                result -= bucket.metric;
            }
        }
        return result;
    }
    // The read is older than the newest record (time ran backwards, or a
    // caller passed an old `now`): sum the buckets it covers.
    Metric result;
    for (std::int64_t s = std::max(second - size + 1, newest_ - size + 1); s <= second; ++s) {
        const Bucket& bucket = bucket_for(s);
        if (bucket.second == s) {
            result += bucket.metric;
        }
    }
    return result;
}

void TimeWindow::reset() {
    std::fill(buckets_.begin(), buckets_.end(), Bucket{kNoSecond, Metric()});
    newest_ = kNoSecond;
    total_ = Metric();
}

}  // namespace fluxgate::windows
