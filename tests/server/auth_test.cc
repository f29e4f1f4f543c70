#include "server/api/auth.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "jwt/jwt.hpp"
#include "server/api/caller.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_keys.h"
#include "workflow/definition.h"

namespace claims::server {
namespace {

using ::claims::testing::IsOk;
using ::claims::testing::KeyPair;
using ::claims::testing::NewEcKeyPair;
using ::claims::testing::NewRsaKeyPair;
using ::claims::testing::StatusIs;
using ::claims::testing::UnixNow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  if (payload.has_value()) info.ParseFromString(std::string(*payload));
  return info.reason();
}

constexpr char kIssuer[] = "https://login.example.test/";
constexpr char kAudience[] = "claims";
constexpr char kSecretEnv[] = "CLAIMS_TEST_JWT_SECRET";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-shared";

class JwtAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new KeyPair(NewRsaKeyPair());
    other_rsa_ = new KeyPair(NewRsaKeyPair());
    ec_ = new KeyPair(NewEcKeyPair());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete other_rsa_;
    delete ec_;
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("claims-auth-", ::getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    config_.mode = config::AuthMode::kJwt;
    config_.issuer = kIssuer;
    config_.audience = kAudience;
    config_.keys = {{"", "RS256", Write("rsa.pem", rsa_->public_pem), ""}};
    ::setenv(kSecretEnv, kSecret, 1);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ::unsetenv(kSecretEnv);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // A token as an identity provider would issue it for a partner's billing admin.
  jwt::jwt_object Token(const std::string& algorithm = "RS256",
                        const std::string& key = rsa_->private_pem) {
    return testing::Token(
        {kIssuer, kAudience, "pat@contoso.example", {"billing_admin"}, "contoso", "", 300},
        algorithm, key);
  }

  absl::StatusOr<Identity> Identify(const std::string& token, Metadata extra = {}) {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth = NewJwtAuthenticator(config_);
    if (!auth.ok()) return auth.status();
    extra.emplace(kAuthorizationHeader, "Bearer " + token);
    return (*auth)->Identify(extra);
  }

  static KeyPair* rsa_;
  static KeyPair* other_rsa_;
  static KeyPair* ec_;
  std::filesystem::path dir_;
  config::AuthConfig config_;
};

KeyPair* JwtAuthTest::rsa_ = nullptr;
KeyPair* JwtAuthTest::other_rsa_ = nullptr;
KeyPair* JwtAuthTest::ec_ = nullptr;

MATCHER_P(IsInvalidToken, text, "") {
  *result_listener << arg.status();
  return !arg.ok() && absl::IsUnauthenticated(arg.status()) &&
         ErrorReason(arg.status()) == "INVALID_TOKEN" &&
         arg.status().message().find(text) != absl::string_view::npos;
}

TEST_F(JwtAuthTest, AValidTokenGivesItsIdentity) {
  ASSERT_OK_AND_ASSIGN(Identity identity, Identify(Token().signature()));
  EXPECT_EQ(identity.actor, "pat@contoso.example");
  EXPECT_THAT(identity.roles, ElementsAre("billing_admin"));
  EXPECT_EQ(identity.partner, "contoso");
  EXPECT_EQ(identity.partner_source, "the token's partner_id claim");
}

TEST_F(JwtAuthTest, RolesMayBeOneSpaceSeparatedStringAndClaimNamesAreConfigurable) {
  config_.claims = {"email", "groups", "org", "tid"};
  jwt::jwt_object token = Token();
  token.add_claim("email", "rita@reviews.example");
  token.add_claim("groups", "reviewer customer");
  token.add_claim("tid", "6f1c2a9e");
  ASSERT_OK_AND_ASSIGN(Identity identity, Identify(token.signature()));
  EXPECT_EQ(identity.actor, "rita@reviews.example");
  EXPECT_THAT(identity.roles, ElementsAre("reviewer", "customer"));
  EXPECT_EQ(identity.partner, "");
  EXPECT_EQ(identity.customer_tenant, "6f1c2a9e");
}

TEST_F(JwtAuthTest, IdentityHeadersAreIgnored) {
  ASSERT_OK_AND_ASSIGN(Identity identity,
                       Identify(Token().signature(), {{kPartnerHeader, "fabrikam"},
                                                      {kRolesHeader, "reviewer"},
                                                      {kActorHeader, "mallory"}}));
  EXPECT_EQ(identity.actor, "pat@contoso.example");
  EXPECT_EQ(identity.partner, "contoso");
  EXPECT_THAT(identity.roles, ElementsAre("billing_admin"));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Authenticator> auth, NewJwtAuthenticator(config_));
  absl::StatusOr<Identity> headers_only =
      auth->Identify({{kActorHeader, "mallory"}, {kRolesHeader, "reviewer"}});
  EXPECT_THAT(headers_only, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer")));
  EXPECT_EQ(ErrorReason(headers_only.status()), "MISSING_IDENTITY");
}

TEST_F(JwtAuthTest, TheSchemeMustBeBearer) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Authenticator> auth, NewJwtAuthenticator(config_));
  EXPECT_THAT(auth->Identify({{kAuthorizationHeader, "Basic cGF0OnNlY3JldA=="}}),
              IsInvalidToken("Bearer <token>"));
  EXPECT_THAT(auth->Identify({{kAuthorizationHeader, "bearer " + Token().signature()}}), IsOk());
  EXPECT_THAT(auth->Identify({{kAuthorizationHeader, "Bearer " + std::string(9000, 'a')}}),
              IsInvalidToken("longer than"));
  EXPECT_THAT(auth->Identify({{kAuthorizationHeader, "Bearer not-a-token"}}), IsInvalidToken(""));
}

TEST_F(JwtAuthTest, ExpiryAndNotBeforeAllowTheLeewayAndNoMore) {
  jwt::jwt_object recent = Token();
  recent.payload().add_claim("exp", UnixNow() - 10, true);
  EXPECT_THAT(Identify(recent.signature()), IsOk());
  jwt::jwt_object expired = Token();
  expired.payload().add_claim("exp", UnixNow() - 120, true);
  EXPECT_THAT(Identify(expired.signature()), IsInvalidToken("expired"));
  jwt::jwt_object early = Token();
  early.add_claim("nbf", UnixNow() + 120);
  EXPECT_THAT(Identify(early.signature()), IsInvalidToken(""));
  jwt::jwt_object forever = Token();
  forever.remove_claim("exp");
  EXPECT_THAT(Identify(forever.signature()), IsInvalidToken("no exp"));
}

TEST_F(JwtAuthTest, IssuerAndAudienceMustMatch) {
  jwt::jwt_object other_issuer = Token();
  other_issuer.payload().add_claim("iss", "https://evil.example/", true);
  EXPECT_THAT(Identify(other_issuer.signature()), IsInvalidToken(""));
  jwt::jwt_object no_issuer = Token();
  no_issuer.remove_claim("iss");
  EXPECT_THAT(Identify(no_issuer.signature()), IsInvalidToken(""));
  jwt::jwt_object other_audience = Token();
  other_audience.payload().add_claim("aud", "billing", true);
  EXPECT_THAT(Identify(other_audience.signature()), IsInvalidToken("audience"));
  jwt::jwt_object audiences = Token();
  audiences.remove_claim("aud");
  audiences.payload().add_claim("aud", std::vector<std::string>{"billing", kAudience});
  EXPECT_THAT(Identify(audiences.signature()), IsOk());
}

TEST_F(JwtAuthTest, ASignatureByAnotherKeyOrOverOtherClaimsIsRefused) {
  EXPECT_THAT(Identify(Token("RS256", other_rsa_->private_pem).signature()),
              IsInvalidToken("verification failed"));
  // Another partner's id put into a token signed for contoso.
  const std::string token = Token().signature();
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  const std::size_t at = payload.find("contoso");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 7, "fabrkam");
  std::string forged_payload;
  absl::WebSafeBase64Escape(payload, &forged_payload);
  EXPECT_THAT(Identify(absl::StrCat(parts[0], ".", forged_payload, ".", parts[2])),
              IsInvalidToken("verification failed"));
}

TEST_F(JwtAuthTest, NoneAndAlgorithmConfusionAreRefused) {
  // {"alg":"none"}: no signature at all.
  std::string header;
  absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})", &header);
  const std::vector<std::string> parts = absl::StrSplit(Token().signature(), '.');
  EXPECT_THAT(Identify(absl::StrCat(header, ".", parts[1], ".")), IsInvalidToken(""));
  // HS256 keyed with the RSA public key, which anyone has: the key takes RS256 only.
  EXPECT_THAT(Identify(Token("HS256", rsa_->public_pem).signature()), IsInvalidToken("algorithm"));
}

TEST_F(JwtAuthTest, TheKidPicksTheKeyAndItsOneAlgorithm) {
  config_.keys = {{"rsa-2026", "RS256", Write("rsa.pem", rsa_->public_pem), ""},
                  {"ec-2026", "ES256", Write("ec.pem", ec_->public_pem), ""},
                  {"shared", "HS256", "", kSecretEnv}};
  auto with_kid = [](jwt::jwt_object token, const std::string& kid) {
    token.header().add_header("kid", kid);
    return token.signature();
  };
  EXPECT_THAT(Identify(with_kid(Token(), "rsa-2026")), IsOk());
  EXPECT_THAT(Identify(with_kid(Token("ES256", ec_->private_pem), "ec-2026")), IsOk());
  EXPECT_THAT(Identify(with_kid(Token("HS256", kSecret), "shared")), IsOk());
  EXPECT_THAT(Identify(with_kid(Token("HS256", kSecret), "rsa-2026")), IsInvalidToken("algorithm"));
  EXPECT_THAT(Identify(with_kid(Token(), "retired")), IsInvalidToken("unknown kid retired"));
  EXPECT_THAT(Identify(Token().signature()), IsInvalidToken("no kid"));
}

// Later calls with a verified token are answered from memory, until the token expires by
// the authenticator's clock; a token that differs in any byte is verified on its own.
TEST_F(JwtAuthTest, AVerifiedTokenIsRememberedUntilItExpires) {
  absl::Time now = absl::Now();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Authenticator> auth,
                       NewJwtAuthenticator(config_, [&now] { return now; }));
  const std::string token = Token().signature();
  const Metadata call = {{kAuthorizationHeader, "Bearer " + token}};
  ASSERT_OK_AND_ASSIGN(Identity first, auth->Identify(call));
  EXPECT_EQ(first.actor, "pat@contoso.example");

  std::string forged = token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_THAT(auth->Identify({{kAuthorizationHeader, "Bearer " + forged}}), IsInvalidToken(""));

  // exp is 300 s after the token was made; the leeway is 30 s.
  now += absl::Seconds(300 + 30 - 2);
  ASSERT_OK_AND_ASSIGN(Identity again, auth->Identify(call));
  EXPECT_EQ(again.partner, "contoso");
  now += absl::Seconds(4);
  EXPECT_THAT(auth->Identify(call), IsInvalidToken("expired"));
}

TEST_F(JwtAuthTest, KeysThatCannotBeUsedStopStartUp) {
  config_.keys = {{"", "RS256", (dir_ / "missing.pem").string(), ""}};
  EXPECT_THAT(NewJwtAuthenticator(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
  config_.keys = {{"", "RS256", Write("private.pem", rsa_->private_pem), ""}};
  EXPECT_THAT(NewJwtAuthenticator(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PEM RSA public key")));
  config_.keys = {{"", "ES256", Write("rsa.pem", rsa_->public_pem), ""}};
  EXPECT_THAT(NewJwtAuthenticator(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PEM EC public key")));
  ::setenv(kSecretEnv, "short", 1);
  config_.keys = {{"", "HS256", "", kSecretEnv}};
  EXPECT_THAT(NewJwtAuthenticator(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 32 bytes")));
  ::unsetenv(kSecretEnv);
  EXPECT_THAT(NewJwtAuthenticator(config_), StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* algorithm : {"none", "HS1", "PS256", "RS257"}) {
    config_.keys = {{"", algorithm, Write("rsa.pem", rsa_->public_pem), kSecretEnv}};
    EXPECT_THAT(NewJwtAuthenticator(config_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not allowed")))
        << algorithm;
  }
}

TEST_F(JwtAuthTest, APartnerTokenWithoutItsTenantIsUnauthenticated) {
  workflow::Definition roles;
  roles.roles = {{"billing_admin", "Billing admin", workflow::Perspective::kPartner, {}}};
  roles.BuildIndex();
  jwt::jwt_object token = Token();
  token.remove_claim("partner_id");
  ASSERT_OK_AND_ASSIGN(Identity identity, Identify(token.signature()));
  absl::StatusOr<Caller> caller = CallerFromIdentity(identity, roles);
  EXPECT_THAT(caller, StatusIs(absl::StatusCode::kUnauthenticated,
                               HasSubstr("the token's partner_id claim")));
  EXPECT_EQ(ErrorReason(caller.status()), "MISSING_TENANT");
}

TEST(NewAuthenticatorTest, MetadataModeReadsTheHeaders) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Authenticator> auth, NewAuthenticator(config::AuthConfig{}));
  ASSERT_OK_AND_ASSIGN(Identity identity,
                       auth->Identify({{kActorHeader, "pat"},
                                       {kRolesHeader, "billing_admin, global_admin"},
                                       {kPartnerHeader, "contoso"}}));
  EXPECT_THAT(identity.roles, ElementsAre("billing_admin", "global_admin"));
  EXPECT_EQ(identity.partner, "contoso");
  EXPECT_THAT(auth->Identify({{kRolesHeader, "reviewer"}}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(kActorHeader)));
}

}  // namespace
}  // namespace claims::server
