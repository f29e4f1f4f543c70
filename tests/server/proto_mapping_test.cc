#include "server/api/proto_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace claims::server {
namespace {

using ::claims::testing::StatusIs;

TEST(ProtoMappingTest, ParsesClaimNames) {
  ASSERT_OK_AND_ASSIGN(ClaimName name, ParseClaimName("partners/contoso/claims/01J0ABC", "name"));
  EXPECT_EQ(name.partner, "contoso");
  EXPECT_EQ(name.claim, "01J0ABC");
  ASSERT_OK_AND_ASSIGN(name, ParseClaimName("partners/-/claims/01J0ABC", "name"));
  EXPECT_EQ(name.partner, kAnyPartner);
  for (const char* bad :
       {"", "partners/contoso", "partners//claims/x", "claims/x/partners/y",
        "partners/a/claims/b/extra", "partners/a b/claims/c", "partners/a/claims/../x"}) {
    EXPECT_THAT(ParseClaimName(bad, "name"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_EQ(FormatClaimName("contoso", "01J"), "partners/contoso/claims/01J");
}

TEST(ProtoMappingTest, TimestampsRoundTripIncludingBeforeTheEpoch) {
  for (absl::Time t : {absl::FromUnixMicros(1'772'000'000'123'456),
                       absl::FromUnixMicros(-1'500'001), absl::UnixEpoch()}) {
    google::protobuf::Timestamp ts;
    ToProto(t, &ts);
    EXPECT_GE(ts.nanos(), 0);
    EXPECT_EQ(FromProto(ts), t);
  }
}

TEST(ProtoMappingTest, ClaimMapsEveryField) {
  workflow::Claim claim;
  claim.id = "01J0ABC";
  claim.partner_id = "contoso";
  claim.fields.mpn_id = "123";
  claim.fields.customer = {"tenant", "Fabrikam"};
  claim.fields.products = {"power_apps", "teams"};
  claim.fields.activity = "pre_sales";
  claim.state = "submitted";
  claim.version = 4;
  claim.timers.push_back({.name = "review_start",
                          .status = workflow::TimerStatus::kArmed,
                          .due_at = absl::FromUnixSeconds(1000)});
  pb::Claim out;
  ToProto(claim, {"withdraw"}, &out);
  EXPECT_EQ(out.name(), "partners/contoso/claims/01J0ABC");
  EXPECT_EQ(out.etag(), "\"4\"");
  EXPECT_EQ(out.products_size(), 2);
  EXPECT_EQ(out.timers(0).due_time().seconds(), 1000);
  EXPECT_FALSE(out.has_next_deadline());  // none while next_deadline is infinite
  workflow::ClaimFields back = FieldsFromProto(out);
  EXPECT_EQ(back, claim.fields);
}

}  // namespace
}  // namespace claims::server
