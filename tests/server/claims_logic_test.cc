// ClaimsLogic over a real SQLite repository, without gRPC: what the transport cannot show.

#include "server/api/claims_logic.h"

#include <memory>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/auth.h"
#include "server/runtime/clock.h"
#include "storage/soci_repository.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"

namespace claims::server {
namespace {

class ClaimsLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = testing::FreshSqliteUrl();
    storage::StorageOptions options;
    options.url = url_;
    ASSERT_OK_AND_ASSIGN(repository_, storage::OpenSociRepository(options));
    workflows_ = std::make_unique<WorkflowRegistry>(*repository_);
    ASSERT_OK(workflows_->LoadDirectory(testing::SourceDir() + "/config/workflows"));
    authenticator_ = NewHeaderAuthenticator();
  }
  void TearDown() override {
    logic_.reset();
    workflows_.reset();
    repository_.reset();
    testing::RemoveSqliteDatabase(url_);
  }

  ClaimsLogic& Logic(ClaimsLogic::Options options) {
    logic_ =
        std::make_unique<ClaimsLogic>(*repository_, *workflows_, clock_, *authenticator_, options);
    return *logic_;
  }

  Caller As(const Metadata& metadata) {
    absl::StatusOr<Caller> caller = logic_->Authenticate(metadata);
    EXPECT_TRUE(caller.ok()) << caller.status();
    return *caller;
  }

  static pb::CreateClaimRequest NewClaim(int i) {
    pb::CreateClaimRequest request;
    request.set_parent("partners/contoso");
    pb::Claim* claim = request.mutable_claim();
    claim->set_mpn_id("1234567");
    claim->mutable_customer()->set_tenant_id("6f1c2a9e-0000-4000-8000-000000000001");
    claim->mutable_customer()->set_name(std::string(200, 'a' + static_cast<char>(i % 26)));
    claim->add_products("dynamics_365_sales");
    claim->set_activity("revenue_association");
    return request;
  }

  std::string url_;
  std::unique_ptr<storage::Repository> repository_;
  std::unique_ptr<WorkflowRegistry> workflows_;
  std::unique_ptr<Authenticator> authenticator_;
  ManualClock clock_{absl::FromUnixSeconds(1772460000)};
  std::unique_ptr<ClaimsLogic> logic_;
};

TEST_F(ClaimsLogicTest, ListPagesEndEarlyAtTheirByteBudgetAndMissNothing) {
  ClaimsLogic::Options options;
  options.max_list_page_bytes = 4096;  // a few claims' worth
  ClaimsLogic& logic = Logic(options);
  const Caller partner =
      As({{kActorHeader, "pat"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "contoso"}});
  std::vector<std::string> created;
  for (int i = 0; i < 40; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK_AND_ASSIGN(pb::Claim claim, logic.CreateClaim(partner, NewClaim(i)));
    created.push_back(claim.name());
  }
  pb::ListClaimsRequest request;
  request.set_parent("partners/contoso");
  request.set_page_size(500);
  std::vector<std::string> listed;
  int pages = 0;
  for (; pages < 100; ++pages) {
    ASSERT_OK_AND_ASSIGN(pb::ListClaimsResponse page, logic.ListClaims(partner, request));
    EXPECT_LE(page.ByteSizeLong(), options.max_list_page_bytes);
    EXPECT_GE(page.claims_size(), 1);
    for (const auto& claim : page.claims()) listed.push_back(claim.name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  // Newest first, each once.
  std::reverse(created.begin(), created.end());
  EXPECT_EQ(listed, created);
  EXPECT_GE(pages, 3);  // the budget, not page_size, ended the pages
}

TEST_F(ClaimsLogicTest, OneClaimLargerThanTheBudgetStillMakesProgress) {
  ClaimsLogic::Options options;
  options.max_list_page_bytes = 10;  // smaller than any claim
  ClaimsLogic& logic = Logic(options);
  const Caller partner =
      As({{kActorHeader, "pat"}, {kRolesHeader, "billing_admin"}, {kPartnerHeader, "contoso"}});
  for (int i = 0; i < 3; ++i) ASSERT_OK(logic.CreateClaim(partner, NewClaim(i)).status());
  pb::ListClaimsRequest request;
  request.set_parent("partners/contoso");
  std::set<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(pb::ListClaimsResponse page, logic.ListClaims(partner, request));
    ASSERT_EQ(page.claims_size(), 1);
    seen.insert(page.claims(0).name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace claims::server
