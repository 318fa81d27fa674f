#pragma once

// Assertions that an expression throws an exception of one type with one
// exact message, because error messages are part of the API.

#include <gtest/gtest.h>

#include <string>

/// Expects `statement` to throw `type` whose `what()` equals `message`.
#define FLUXGATE_EXPECT_THROW_MESSAGE(statement, type, message)                                  \
    do {                                                                                         \
        bool fluxgate_thrown = false;                                                            \
        try {                                                                                    \
            statement;                                                                           \
        } catch (const type& fluxgate_error) {                                                   \
            fluxgate_thrown = true;                                                              \
            EXPECT_EQ(std::string(fluxgate_error.what()), std::string(message));                 \
        } catch (...) {                                                                          \
            ADD_FAILURE() << #statement " threw an exception of another type than " #type;       \
            fluxgate_thrown = true;                                                              \
        }                                                                                        \
        if (!fluxgate_thrown) {                                                                  \
            ADD_FAILURE() << #statement " did not throw";                                        \
        }                                                                                        \
    } while (false)
