// SPDX-License-Identifier: GPL-2.0-or-later
// parse_json_text: every parser complaint is a value, never an exception
// (a number beyond double range aborted p2pscoped, qualify and the GUI).
#include <gtest/gtest.h>

#include "p2pscope/json_text.hpp"

using namespace p2pscope;

TEST(JsonText, ParsesAndComplainsInOneLine) {
    auto ok = parse_json_text(R"({"a": {"b": 1}, "c": [1, 2]})");
    ASSERT_TRUE(ok);
    EXPECT_EQ((*ok)["a"]["b"], 1);
    auto bad = parse_json_text("{");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::bad_input);
    EXPECT_EQ(bad.error().message.rfind("not valid JSON: parse error at line 1, column 2", 0), 0u) << bad.error().message;
}

TEST(JsonText, NumberBeyondDoubleRangeIsAnError) {
    auto r = parse_json_text(R"({"interval_s": 1e400})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("not valid JSON: number overflow parsing '1e400'", 0), 0u) << r.error().message;
}

TEST(JsonText, DuplicateKeysInOneObject) {
    auto r = parse_json_text(R"({"journal": {"path": "a", "path": "b"}})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "the key \"path\" appears twice in one object");
    // The same key in sibling objects is fine.
    EXPECT_TRUE(parse_json_text(R"([{"path": "a"}, {"path": "b"}])"));
    EXPECT_TRUE(parse_json_text(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})"));
}
