#include "config/claims_config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(config.grpc.max_queued_calls, 256);
  EXPECT_EQ(config.grpc.max_message_bytes, 4 << 20);
  EXPECT_EQ(config.grpc.memory_quota_bytes, 12 << 20);
  EXPECT_FALSE(config.tls.enabled());
  EXPECT_EQ(config.health.listen, "");
  EXPECT_EQ(config.health.check_interval, absl::Seconds(1));
  EXPECT_EQ(config.health.timeout, absl::Seconds(2));
  EXPECT_EQ(config.shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config.log_format, LogFormat::kText);
  EXPECT_TRUE(config.access_log);
}

// The README promises a Prometheus endpoint on loopback unless the file says otherwise.
TEST(ClaimsConfigTest, MetricsEndpointDefaultsToLoopbackAndCanBeTurnedOff) {
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig("", "c.yaml", ""));
  EXPECT_EQ(config.metrics.listen, "127.0.0.1:9464");
  ASSERT_OK_AND_ASSIGN(config, ParseServerConfig("listen: 127.0.0.1:1\n", "c.yaml", ""));
  EXPECT_EQ(config.metrics.listen, "127.0.0.1:9464");
  ASSERT_OK_AND_ASSIGN(config, ParseServerConfig("metrics: {listen: \"\"}\n", "c.yaml", ""));
  EXPECT_EQ(config.metrics.listen, "");
  EXPECT_EQ(ServerConfig().metrics.listen, "");
}

TEST(ClaimsConfigTest, TlsHealthShutdownAndLogging) {
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig("tls:\n"
                                                              "  cert_file: tls/tls.crt\n"
                                                              "  key_file: /secrets/tls.key\n"
                                                              "  client_ca_file: tls/ca.crt\n"
                                                              "  reload_seconds: 0\n"
                                                              "health:\n"
                                                              "  listen: 0.0.0.0:8081\n"
                                                              "  check_interval_ms: 250\n"
                                                              "  timeout_ms: 500\n"
                                                              "grpc: {max_queued_calls: 3}\n"
                                                              "shutdown_grace_seconds: 4\n"
                                                              "log_format: json\n"
                                                              "access_log: false\n",
                                                              "c.yaml", "/etc/claims"));
  EXPECT_TRUE(config.tls.enabled());
  EXPECT_EQ(config.tls.cert_file, "/etc/claims/tls/tls.crt");
  EXPECT_EQ(config.tls.key_file, "/secrets/tls.key");
  EXPECT_EQ(config.tls.client_ca_file, "/etc/claims/tls/ca.crt");
  EXPECT_EQ(config.tls.reload_interval, absl::ZeroDuration());
  EXPECT_EQ(config.health.listen, "0.0.0.0:8081");
  EXPECT_EQ(config.health.check_interval, absl::Milliseconds(250));
  EXPECT_EQ(config.health.timeout, absl::Milliseconds(500));
  EXPECT_EQ(config.grpc.max_queued_calls, 3);
  EXPECT_EQ(config.shutdown_grace, absl::Seconds(4));
  EXPECT_EQ(config.log_format, LogFormat::kJson);
  EXPECT_FALSE(config.access_log);
}

// A quota smaller than two messages would refuse ordinary traffic while it is being read.
TEST(ClaimsConfigTest, TheMemoryQuotaHoldsTwoMessagesOrIsOff) {
  EXPECT_THAT(ParseServerConfig("grpc:\n  max_message_bytes: 8388608\n"
                                "  memory_quota_bytes: 12582912\n",
                                "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("c.yaml:3:23: grpc.memory_quota_bytes (12582912) must be at "
                                 "least twice grpc.max_message_bytes (8388608)")));
  EXPECT_THAT(ParseServerConfig("grpc: {max_message_bytes: 16777216}\n", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(
      ServerConfig off,
      ParseServerConfig("grpc: {max_message_bytes: 16777216, memory_quota_bytes: 0}\n", "c.yaml",
                        ""));
  EXPECT_EQ(off.grpc.memory_quota_bytes, 0);
  EXPECT_THAT(ParseServerConfig("grpc: {memory_quota_bytes: -1}\n", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grpc.memory_quota_bytes: out of range")));
}

TEST(ClaimsConfigTest, TlsHealthAndLoggingProblemsAreReported) {
  absl::StatusOr<ServerConfig> config = ParseServerConfig(
      "tls:\n"
      "  cert_file: a.crt\n"
      "  reload_seconds: -1\n"
      "health: {check_interval_ms: 0, timeout_ms: nope, port: 1}\n"
      "grpc: {max_queued_calls: 0}\n"
      "log_format: xml\n"
      "shutdown_grace_seconds: -5\n",
      "c.yaml", "");
  EXPECT_THAT(config,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("c.yaml:3:19: tls.reload_seconds: out of range"),
                             HasSubstr("c.yaml:2:3: tls: cert_file and key_file go together"),
                             HasSubstr("health.check_interval_ms: out of range"),
                             HasSubstr("health.timeout_ms: wrong type"),
                             HasSubstr("unknown key 'port' in health"),
                             HasSubstr("grpc.max_queued_calls: out of range"),
                             HasSubstr("c.yaml:6:13: log_format: out of range"),
                             HasSubstr("shutdown_grace_seconds: out of range"))));
  EXPECT_THAT(ParseServerConfig("tls: {client_ca_file: ca.crt}\n", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("client_ca_file needs the server's cert_file")));
}

// The playground serves whoever reaches its port: nothing unless asked for, and loopback.
TEST(ClaimsConfigTest, ThePlaygroundIsOffByDefaultAndOnLoopback) {
  ASSERT_OK_AND_ASSIGN(ServerConfig config, ParseServerConfig("", "c.yaml", ""));
  EXPECT_FALSE(config.admin.playground);
  EXPECT_EQ(config.admin.listen, "127.0.0.1:9465");
  EXPECT_FALSE(config.admin.allow_non_loopback);
  ASSERT_OK_AND_ASSIGN(config, LoadServerConfig(testing::SourceDir() + "/config/claimsd.yaml"));
  EXPECT_FALSE(config.admin.playground);
  ASSERT_OK_AND_ASSIGN(config,
                       ParseServerConfig("admin: {playground: true, listen: \"0.0.0.0:8465\", "
                                         "allow_non_loopback: true}\n",
                                         "c.yaml", ""));
  EXPECT_TRUE(config.admin.playground);
  EXPECT_EQ(config.admin.listen, "0.0.0.0:8465");
  EXPECT_TRUE(config.admin.allow_non_loopback);
}

TEST(ClaimsConfigTest, AdminProblemsAreReported) {
  EXPECT_THAT(
      ParseServerConfig("admin:\n  playground: maybe\n  listen: [1]\n  port: 1\n", "c.yaml", ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("c.yaml:2:15: admin.playground: wrong type"),
                     HasSubstr("c.yaml:3:11: admin.listen: wrong type"),
                     HasSubstr("c.yaml:4:3: unknown key 'port' in admin"))));
  // An empty listen is no admin port, which the playground cannot do without.
  ASSERT_OK_AND_ASSIGN(ServerConfig config,
                       ParseServerConfig("admin: {listen: \"\"}\n", "c.yaml", ""));
  EXPECT_EQ(config.admin.listen, "");
  EXPECT_THAT(ParseServerConfig("admin: {playground: true, listen: \"\"}\n", "c.yaml", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("c.yaml:1:8: admin: playground needs an admin.listen address")));
}

TEST(ClaimsConfigTest, AnOversizedConfigFileIsRefusedUnread) {
  const std::string path = ::testing::TempDir() + "/oversized_claimsd.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "listen: 127.0.0.1:1\n" << std::string(kMaxConfigBytes, '#');
  }
  EXPECT_THAT(LoadServerConfig(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("more than the limit of 1048576")));
  std::remove(path.c_str());
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

// Every configuration the repository ships (the embedded default, MySQL, the container image's)
// must load: a changed default must not leave one of them refused at start-up.
TEST(ClaimsConfigTest, EveryShippedConfigLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() + "/config")) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || !path.ends_with(".yaml")) continue;
    SCOPED_TRACE(path);
    EXPECT_OK(LoadServerConfig(path).status());
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
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
