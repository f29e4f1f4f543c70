#include "config/claims_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"

namespace claims::config {
namespace {

using ::claims::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ClaimsConfigTest, ShippedDefaultIsSqliteOnLoopback) {
  const std::string dir = testing::SourceDir();
  ASSERT_OK_AND_ASSIGN(ServerConfig config, LoadServerConfig(dir + "/config/claimsd.yaml"));
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  EXPECT_EQ(config.database.url, "sqlite:" + dir + "/config/claims.db");
  EXPECT_EQ(config.workflows.directory, dir + "/config/workflows");
  EXPECT_EQ(config.clock, ClockKind::kSystem);
}

TEST(ClaimsConfigTest, EmptyFileGivesDefaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig("", "c.yaml", ""));
  EXPECT_EQ(config.scheduler.batch_size, 100);
}

TEST(ClaimsConfigTest, EveryProblemIsReportedWithItsPosition) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(
      "listen: 127.0.0.1:1\n"
      "databse:\n"
      "  url: x\n"
      "scheduler:\n"
      "  batch_size: -3\n"
      "clock: sundial\n",
      "c.yaml", "");
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("c.yaml:2:1: unknown key 'databse'"),
                                     HasSubstr("c.yaml:5:15: scheduler.batch_size: out of range"),
                                     HasSubstr("c.yaml:6:8: clock: must be"))));
}

TEST(ClaimsConfigTest, MalformedYamlIsAnError) {
  EXPECT_THAT(ParseServerConfig("listen: [unclosed", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c.yaml:")));
}

TEST(ClaimsConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  ASSERT_OK_AND_ASSIGN(
      ServerConfig config,
      ParseServerConfig("database:\n  url: sqlite:data/c.db\nworkflows:\n  directory: wf\n",
                        "c.yaml", "/etc/claims"));
  EXPECT_EQ(config.database.url, "sqlite:/etc/claims/data/c.db");
  EXPECT_EQ(config.workflows.directory, "/etc/claims/wf");
  ASSERT_OK_AND_ASSIGN(
      config, ParseServerConfig("database:\n  url: mysql://u:p@h:1/d\n", "c.yaml", "/etc/claims"));
  EXPECT_EQ(config.database.url, "mysql://u:p@h:1/d");
}

TEST(ClaimsConfigTest, EnvironmentOverridesTheFile) {
  const std::string dir = testing::SourceDir();
  setenv("CLAIMS_DATABASE_URL", "mysql://claims:secret@db:3306/claims", 1);
  absl::StatusOr<ServerConfig> config = LoadServerConfig(dir + "/config/claimsd.yaml");
  unsetenv("CLAIMS_DATABASE_URL");
  ASSERT_OK(config.status());
  EXPECT_EQ(config->database.url, "mysql://claims:secret@db:3306/claims");
}

TEST(ClaimsConfigTest, ShippedMysqlConfigTakesBearerTokens) {
  const std::string dir = testing::SourceDir();
  ASSERT_OK_AND_ASSIGN(ServerConfig config, LoadServerConfig(dir + "/config/claimsd.mysql.yaml"));
  EXPECT_EQ(config.auth.mode, AuthMode::kJwt);
  ASSERT_EQ(config.auth.keys.size(), 1u);
  EXPECT_EQ(config.auth.keys[0].public_key_file, dir + "/config/keys/signing-2026.pem");
}

TEST(ClaimsConfigTest, AuthDefaultsToTrustedHeaders) {
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig("", "c.yaml", ""));
  EXPECT_EQ(config.auth.mode, AuthMode::kMetadata);
}

TEST(ClaimsConfigTest, JwtAuthWithKeysAndClaimNames) {
  ASSERT_OK_AND_ASSIGN(
      ServerConfig config,
      ParseServerConfig("auth:\n"
                        "  mode: jwt\n"
                        "  issuer: https://login.example.test/\n"
                        "  audience: claims\n"
                        "  leeway_seconds: 10\n"
                        "  keys:\n"
                        "    - {id: rsa-2026, algorithm: RS256, public_key_file: keys/rsa.pem}\n"
                        "    - {id: shared, algorithm: HS512, secret_env: CLAIMS_JWT_SECRET}\n"
                        "  claims: {actor: email, roles: groups}\n",
                        "c.yaml", "/etc/claims"));
  const AuthConfig& auth = config.auth;
  EXPECT_EQ(auth.mode, AuthMode::kJwt);
  EXPECT_EQ(auth.issuer, "https://login.example.test/");
  EXPECT_EQ(auth.audience, "claims");
  EXPECT_EQ(auth.leeway, absl::Seconds(10));
  ASSERT_EQ(auth.keys.size(), 2u);
  EXPECT_EQ(auth.keys[0].public_key_file, "/etc/claims/keys/rsa.pem");
  EXPECT_EQ(auth.keys[1].secret_env, "CLAIMS_JWT_SECRET");
  EXPECT_EQ(auth.claims.actor, "email");
  EXPECT_EQ(auth.claims.roles, "groups");
  EXPECT_EQ(auth.claims.partner, "partner_id");
}

TEST(ClaimsConfigTest, JwtAuthProblemsAreReportedWithTheirPositions) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(
      "auth:\n"
      "  mode: jwt\n"
      "  keys:\n"
      "    - {algorithm: none, public_key_file: k.pem}\n"
      "    - {algorithm: HS256, public_key_file: k.pem}\n"
      "    - {id: k, algorithm: RS256, secret_env: S}\n"
      "  scopes: [all]\n",
      "c.yaml", "");
  EXPECT_THAT(
      config,
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("c.yaml:4:7: auth.keys[]: algorithm 'none' is not one of RS256"),
                     HasSubstr("c.yaml:5:7: auth.keys[]: HS256 takes its secret from secret_env"),
                     HasSubstr("c.yaml:6:7: auth.keys[]: RS256 takes a public_key_file"),
                     HasSubstr("c.yaml:7:3: unknown key 'scopes' in auth"),
                     HasSubstr("c.yaml:2:3: auth: mode jwt needs the issuer"),
                     HasSubstr("c.yaml:2:3: auth: mode jwt needs the audience"),
                     HasSubstr("with several keys, each needs an id"))));
  EXPECT_THAT(ParseServerConfig("auth: {mode: oauth}\n", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("auth.mode: must be 'metadata' or 'jwt'")));
}

}  // namespace
}  // namespace claims::config
