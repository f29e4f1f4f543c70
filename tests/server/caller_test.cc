#include "server/api/caller.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "workflow/loader.h"

namespace claims::server {
namespace {

using ::claims::testing::StatusIs;
using ::testing::ElementsAre;

std::shared_ptr<const workflow::Definition> Cpor() {
  workflow::LoadResult result = testing::LoadWorkflowFile();
  EXPECT_TRUE(result.ok());
  return result.definition;
}

using Metadata = std::multimap<std::string, std::string>;

TEST(CallerTest, PartnerNeedsATenant) {
  auto cpor = Cpor();
  ASSERT_OK_AND_ASSIGN(Caller caller,
                       CallerFromMetadata({{kActorHeader, "pat"},
                                           {kRolesHeader, "billing_admin, global_admin"},
                                           {kPartnerHeader, "contoso"}},
                                          *cpor));
  EXPECT_EQ(caller.perspective, workflow::Perspective::kPartner);
  EXPECT_THAT(caller.actor.roles, ElementsAre("billing_admin", "global_admin"));
  EXPECT_FALSE(caller.SeesAllPartners());
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "pat"}, {kRolesHeader, "billing_admin"}}, *cpor),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(CallerTest, ReviewerSeesEveryPartner) {
  auto cpor = Cpor();
  ASSERT_OK_AND_ASSIGN(
      Caller caller,
      CallerFromMetadata({{kActorHeader, "rita"}, {kRolesHeader, "reviewer"}}, *cpor));
  EXPECT_EQ(caller.perspective, workflow::Perspective::kReviewer);
  EXPECT_TRUE(caller.SeesAllPartners());
}

TEST(CallerTest, RefusesMissingUnknownAndReservedRoles) {
  auto cpor = Cpor();
  EXPECT_THAT(CallerFromMetadata({}, *cpor), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "x"}}, *cpor),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "x"}, {kRolesHeader, "wizard"}}, *cpor),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "x"}, {kRolesHeader, "reviewer,system"}}, *cpor),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(CallerTest, CustomerNeedsTheirTenant) {
  auto cpor = Cpor();
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "cora"}, {kRolesHeader, "customer"}}, *cpor),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(Caller caller, CallerFromMetadata({{kActorHeader, "cora"},
                                                          {kRolesHeader, "customer"},
                                                          {kCustomerTenantHeader, "t-1"}},
                                                         *cpor));
  EXPECT_EQ(caller.perspective, workflow::Perspective::kCustomer);
  EXPECT_EQ(caller.customer_tenant, "t-1");
}

workflow::Claim ClaimOf(const std::string& partner, const std::string& tenant) {
  workflow::Claim claim;
  claim.partner_id = partner;
  claim.fields.customer.tenant_id = tenant;
  return claim;
}

TEST(CallerTest, EachRoleActsOnlyWhereItsPerspectiveApplies) {
  auto cpor = Cpor();
  ASSERT_OK_AND_ASSIGN(Caller mixed, CallerFromMetadata({{kActorHeader, "admin"},
                                                         {kRolesHeader, "billing_admin,customer"},
                                                         {kPartnerHeader, "partner-b"},
                                                         {kCustomerTenantHeader, "t-a"}},
                                                        *cpor));
  // Lists and streams as the partner it is.
  EXPECT_EQ(mixed.perspective, workflow::Perspective::kPartner);
  // Another partner's claim that names its tenant: the customer role alone.
  std::optional<ClaimAccess> as_customer = mixed.AccessTo(ClaimOf("partner-a", "t-a"));
  ASSERT_TRUE(as_customer.has_value());
  EXPECT_THAT(as_customer->actor.roles, ElementsAre("customer"));
  EXPECT_EQ(as_customer->perspective, workflow::Perspective::kCustomer);
  // Its own partner's claim: the partner role alone (the customer is someone else).
  std::optional<ClaimAccess> as_partner = mixed.AccessTo(ClaimOf("partner-b", "t-z"));
  ASSERT_TRUE(as_partner.has_value());
  EXPECT_THAT(as_partner->actor.roles, ElementsAre("billing_admin"));
  EXPECT_EQ(as_partner->perspective, workflow::Perspective::kPartner);
  // Both at once, and neither.
  EXPECT_THAT(mixed.AccessTo(ClaimOf("partner-b", "t-a"))->actor.roles,
              ElementsAre("billing_admin", "customer"));
  EXPECT_FALSE(mixed.AccessTo(ClaimOf("partner-a", "t-z")).has_value());
  // An empty tenant on a claim never matches a caller without one.
  ASSERT_OK_AND_ASSIGN(Caller partner, CallerFromMetadata({{kActorHeader, "pat"},
                                                           {kRolesHeader, "billing_admin"},
                                                           {kPartnerHeader, "partner-b"}},
                                                          *cpor));
  EXPECT_FALSE(partner.AccessTo(ClaimOf("partner-a", "")).has_value());
}

TEST(CallerTest, ReviewersAccessEveryClaimWithEveryRole) {
  auto cpor = Cpor();
  ASSERT_OK_AND_ASSIGN(
      Caller rita,
      CallerFromMetadata({{kActorHeader, "rita"}, {kRolesHeader, "reviewer,wizard"}}, *cpor));
  std::optional<ClaimAccess> access = rita.AccessTo(ClaimOf("any", "t"));
  ASSERT_TRUE(access.has_value());
  // Roles the workflow does not know act nowhere.
  EXPECT_THAT(access->actor.roles, ElementsAre("reviewer"));
  EXPECT_EQ(access->perspective, workflow::Perspective::kReviewer);
}

TEST(CallerTest, TheIdempotencyScopeSeparatesTenantsNotCalls) {
  auto cpor = Cpor();
  auto scope = [&](Metadata metadata) {
    absl::StatusOr<Caller> caller = CallerFromMetadata(metadata, *cpor);
    EXPECT_TRUE(caller.ok()) << caller.status();
    return caller.ok() ? caller->IdempotencyScope() : "";
  };
  const std::string a = scope(
      {{kActorHeader, "admin"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "partner-a"}});
  const std::string b = scope(
      {{kActorHeader, "admin"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "partner-b"}});
  EXPECT_NE(a, b);
  // The same caller again, with roles in another order: the same scope.
  EXPECT_EQ(a, scope({{kActorHeader, "admin"},
                      {kRolesHeader, "global_admin,billing_admin"},
                      {kPartnerHeader, "partner-a"}}));
  // No two identities collide by concatenation.
  EXPECT_NE(
      scope({{kActorHeader, "ad"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "min"}}),
      scope({{kActorHeader, "adm"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "in"}}));
  EXPECT_NE(a, scope({{kActorHeader, "admin"},
                      {kRolesHeader, "billing_admin,customer"},
                      {kPartnerHeader, "partner-a"},
                      {kCustomerTenantHeader, "t-1"}}));
}

TEST(CallerTest, OversizedIdentitiesAreRefused) {
  auto cpor = Cpor();
  EXPECT_THAT(CallerFromMetadata(
                  {{kActorHeader, std::string(129, 'a')}, {kRolesHeader, "reviewer"}}, *cpor),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string roles = "reviewer";
  for (int i = 0; i < 16; ++i) roles += ",r" + std::to_string(i);
  EXPECT_THAT(CallerFromMetadata({{kActorHeader, "a"}, {kRolesHeader, roles}}, *cpor),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace claims::server
