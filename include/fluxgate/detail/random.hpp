#pragma once

// A seedable random source that many threads can share without a lock.

#include <atomic>
#include <cstdint>
#include <optional>

namespace fluxgate::detail {

/// Returns the SplitMix64 finalizer of `x`: a bijective mix whose output
/// bits each depend on every input bit.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Maps 64 random bits to a double uniform in [0, 1).
[[nodiscard]] constexpr double to_unit(std::uint64_t bits) noexcept {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

/// Returns `seed` if given, otherwise a seed from `std::random_device`.
[[nodiscard]] std::uint64_t seed_or_random(std::optional<std::uint64_t> seed);

/// SplitMix64 over an atomic counter: each draw is one relaxed `fetch_add`
/// followed by the mix, which is a bijection. So concurrent draws never block,
/// and no value repeats before the counter wraps after 2^64 draws.
class RandomSource {
public:
    explicit RandomSource(std::uint64_t seed) noexcept : state_(seed) {}

    /// Returns a double uniform in [0, 1).
    [[nodiscard]] double next_unit() noexcept {
        return to_unit(mix64(state_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed)));
    }

private:
    std::atomic<std::uint64_t> state_;
};

}  // namespace fluxgate::detail
