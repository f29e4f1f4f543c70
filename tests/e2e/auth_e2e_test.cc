// claimsd with auth.mode jwt, over loopback: identity comes from bearer tokens only, and the
// headers that the metadata mode trusts prove nothing.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"
#include "tests/testing/test_keys.h"

namespace claims::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kIssuer[] = "https://login.example.test/";
constexpr char kAudience[] = "claims";

std::string ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

class JwtE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { keys_ = new KeyPair(NewRsaKeyPair()); }
  static void TearDownTestSuite() { delete keys_; }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("claims-jwt-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    const std::string key_file = (dir_ / "signing.pem").string();
    std::ofstream(key_file) << keys_->public_pem;

    config::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.database.url = FreshSqliteUrl();
    config.workflows.directory = SourceDir() + "/config/workflows";
    config.scheduler.enabled = false;
    config.auth.mode = config::AuthMode::kJwt;
    config.auth.issuer = kIssuer;
    config.auth.audience = kAudience;
    config.auth.keys = {{"signing-2026", "RS256", key_file, ""}};
    database_url_ = config.database.url;
    ASSERT_OK_AND_ASSIGN(server_, server::ClaimsServer::Start(config));
    stub_ = v1::Claims::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                    grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    stub_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
    RemoveSqliteDatabase(database_url_);
    fs::remove_all(dir_);
  }

  std::string Sign(const TokenClaims& claims, const std::string& private_pem = "") {
    jwt::jwt_object token =
        Token(claims, "RS256", private_pem.empty() ? keys_->private_pem : private_pem);
    token.header().add_header("kid", "signing-2026");
    return token.signature();
  }
  std::string PartnerToken(const std::string& partner) {
    return Sign({kIssuer, kAudience, "pat@" + partner, {"billing_admin"}, partner, "", 300});
  }
  std::string ReviewerToken() {
    return Sign({kIssuer, kAudience, "rita@reviews", {"reviewer"}, "", "", 300});
  }

  // One call with `token` (none when empty) and any extra metadata, with a deadline.
  template <typename Request, typename Response>
  grpc::Status Call(const std::string& token, const Request& request, Response* response,
                    grpc::Status (v1::Claims::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                    const std::multimap<std::string, std::string>& extra = {}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    for (const auto& [key, value] : extra) context.AddMetadata(key, value);
    return (stub_.get()->*method)(&context, request, response);
  }

  grpc::Status Create(const std::string& token, v1::Claim* claim,
                      const std::multimap<std::string, std::string>& extra = {}) {
    v1::CreateClaimRequest request;
    request.set_parent("partners/contoso");
    v1::Claim* draft = request.mutable_claim();
    draft->set_mpn_id("1234567");
    draft->mutable_customer()->set_tenant_id("6f1c2a9e-0000-4000-8000-000000000001");
    draft->mutable_customer()->set_name("Fabrikam");
    draft->add_products("dynamics_365_sales");
    draft->set_activity("revenue_association");
    return Call(token, request, claim, &v1::Claims::Stub::CreateClaim, extra);
  }
  grpc::Status Get(const std::string& token, const std::string& name, v1::Claim* claim) {
    v1::GetClaimRequest request;
    request.set_name(name);
    return Call(token, request, claim, &v1::Claims::Stub::GetClaim);
  }

  static KeyPair* keys_;
  fs::path dir_;
  std::string database_url_;
  std::unique_ptr<server::ClaimsServer> server_;
  std::unique_ptr<v1::Claims::Stub> stub_;
};

KeyPair* JwtE2eTest::keys_ = nullptr;

TEST_F(JwtE2eTest, TokensCarryTheIdentityAndTenantsStayApart) {
  v1::Claim claim;
  ASSERT_TRUE(Create(PartnerToken("contoso"), &claim).ok());
  EXPECT_EQ(claim.creator(), "pat@contoso");
  v1::Claim read;
  EXPECT_TRUE(Get(PartnerToken("contoso"), claim.name(), &read).ok());
  EXPECT_TRUE(Get(ReviewerToken(), claim.name(), &read).ok());
  // Another partner's token finds nothing there, as in the metadata mode.
  grpc::Status other = Get(PartnerToken("northwind"), claim.name(), &read);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(JwtE2eTest, HeadersWithoutATokenProveNothing) {
  v1::Claim claim;
  grpc::Status status = Create("", &claim,
                               {{"x-claims-actor", "mallory"},
                                {"x-claims-roles", "billing_admin"},
                                {"x-claims-partner", "contoso"}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "MISSING_IDENTITY");
  // Nor do they change whom a token names: the claim is created as the token's subject.
  ASSERT_TRUE(Create(PartnerToken("contoso"), &claim, {{"x-claims-actor", "mallory"}}).ok());
  EXPECT_EQ(claim.creator(), "pat@contoso");
}

TEST_F(JwtE2eTest, ExpiredForgedAndSystemTokensAreRefused) {
  v1::Claim claim;
  grpc::Status expired =
      Create(Sign({kIssuer, kAudience, "pat", {"billing_admin"}, "contoso", "", -3600}), &claim);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(expired), "INVALID_TOKEN");
  EXPECT_THAT(expired.error_message(), ::testing::HasSubstr("expired"));

  const KeyPair stranger = NewRsaKeyPair();
  grpc::Status forged =
      Create(Sign({kIssuer, kAudience, "pat", {"billing_admin"}, "contoso", "", 300},
                  stranger.private_pem),
             &claim);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(forged), "INVALID_TOKEN");

  grpc::Status system =
      Create(Sign({kIssuer, kAudience, "scheduler", {"system"}, "", "", 300}), &claim);
  EXPECT_EQ(system.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(system), "SYSTEM_ROLE_RESERVED");
}

// Tenant isolation holds for token identities as for headers: the same subject in two
// partners never shares a request id, and a mixed token acts only where each role applies.
TEST_F(JwtE2eTest, TheSameSubjectInTwoPartnersSharesNoRequestIdAndMixedTokensStayInTheirLane) {
  const std::string a = Sign({kIssuer, kAudience, "admin", {"billing_admin"}, "contoso", "", 300});
  const std::string b =
      Sign({kIssuer, kAudience, "admin", {"billing_admin"}, "northwind", "", 300});
  v1::Claim claim;
  ASSERT_TRUE(Create(a, &claim).ok());
  v1::UpdateClaimRequest update;
  update.mutable_claim()->set_name(claim.name());
  update.mutable_claim()->mutable_partner_contact()->set_name("Ann");
  update.mutable_update_mask()->add_paths("partner_contact");
  update.set_request_id("X");
  v1::Claim out;
  ASSERT_TRUE(Call(a, update, &out, &v1::Claims::Stub::UpdateClaim).ok());
  v1::Claim leaked;
  grpc::Status crossed = Call(b, update, &leaked, &v1::Claims::Stub::UpdateClaim);
  EXPECT_EQ(crossed.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(leaked.name().empty());
  // partner-b's own request under the same id is simply its own.
  v1::CreateClaimRequest create;
  create.set_parent("partners/northwind");
  create.mutable_claim()->set_mpn_id("7654321");
  create.mutable_claim()->mutable_customer()->set_tenant_id("6f1c2a9e-0000-4000-8000-000000000002");
  create.mutable_claim()->mutable_customer()->set_name("Litware");
  create.mutable_claim()->add_products("dynamics_365_sales");
  create.mutable_claim()->set_activity("revenue_association");
  create.set_request_id("X");
  v1::Claim own;
  ASSERT_TRUE(Call(b, create, &own, &v1::Claims::Stub::CreateClaim).ok());
  EXPECT_NE(own.name(), claim.name());

  const std::string mixed = Sign({kIssuer,
                                  kAudience,
                                  "admin",
                                  {"billing_admin", "customer"},
                                  "northwind",
                                  "6f1c2a9e-0000-4000-8000-000000000001",
                                  300});
  ASSERT_TRUE(Get(mixed, claim.name(), &out).ok());  // as the claim's customer
  v1::PerformActionRequest withdraw;
  withdraw.set_name(claim.name());
  withdraw.set_action("withdraw");
  grpc::Status refused = Call(mixed, withdraw, &out, &v1::Claims::Stub::PerformAction);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(refused), "ROLE_NOT_ALLOWED");
  update.set_request_id("");
  update.mutable_claim()->mutable_partner_contact()->set_name("Mallory");
  EXPECT_FALSE(Call(mixed, update, &out, &v1::Claims::Stub::UpdateClaim).ok());
  ASSERT_TRUE(Get(a, claim.name(), &out).ok());
  EXPECT_EQ(out.state(), "editing");
  EXPECT_EQ(out.partner_contact().name(), "Ann");
}

TEST_F(JwtE2eTest, TheEventStreamNeedsATokenToo) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::StreamEventsRequest request;
  auto reader = stub_->StreamEvents(&context, request);
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace claims::testing
