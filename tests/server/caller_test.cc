#include "server/caller.h"

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

}  // namespace
}  // namespace claims::server
