#pragma once

// The checks that follow each sample's marked regions: they prove that the
// sample behaves as its page describes. A failed check ends the program with
// exit code 1, which fails the sample's test.

#include <cstdio>
#include <cstdlib>
#include <string_view>

inline void check(bool condition, std::string_view expectation) {
    if (!condition) {
        std::fprintf(stderr, "check failed: %.*s\n", static_cast<int>(expectation.size()), expectation.data());
        std::exit(1);
    }
}
