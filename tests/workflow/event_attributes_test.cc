#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workflow/claim.h"

namespace claims::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Consumers (the outbox encoder, the event stream, simulation traces) rely on names being
// unique and in order, whatever order the engine and the definition set them in.
TEST(EventAttributesTest, KeepsNamesSortedAndUniqueWhateverTheOrderOfSets) {
  EventAttributes attributes;
  attributes.Set("to_state", "rejected");
  attributes.Set("action", "reject");
  attributes.Set("sla", "review_start");
  attributes.Set("actor", "rita");
  attributes.Set("action", "uphold");
  EXPECT_THAT(attributes, ElementsAre(Pair("action", "uphold"), Pair("actor", "rita"),
                                      Pair("sla", "review_start"), Pair("to_state", "rejected")));
  EXPECT_EQ(attributes.size(), 4u);
}

TEST(EventAttributesTest, ALaterValueReplacesAnEarlierOne) {
  const EventAttributes attributes = {{"error", "first"}, {"timer", "t"}, {"error", "second"}};
  EXPECT_THAT(attributes, ElementsAre(Pair("error", "second"), Pair("timer", "t")));
}

TEST(EventAttributesTest, FindsPresentNamesOnly) {
  const EventAttributes attributes = {{"b", "2"}, {"d", "4"}};
  ASSERT_NE(attributes.Find("b"), nullptr);
  EXPECT_EQ(*attributes.Find("b"), "2");
  EXPECT_EQ(attributes.at("d"), "4");
  EXPECT_EQ(attributes.Find("a"), nullptr);
  EXPECT_EQ(attributes.Find("c"), nullptr);
  EXPECT_EQ(attributes.Find("e"), nullptr);
  EXPECT_FALSE(attributes.contains("c"));
  EXPECT_THROW(attributes.at("c"), std::out_of_range);
}

TEST(EventAttributesTest, EqualityIgnoresTheOrderOfSets) {
  EventAttributes forward;
  forward.Set("a", "1");
  forward.Set("b", "2");
  EventAttributes backward;
  backward.Set("b", "2");
  backward.Set("a", "1");
  EXPECT_EQ(forward, backward);
  backward.Set("a", "3");
  EXPECT_NE(forward, backward);
}

}  // namespace
}  // namespace claims::workflow
