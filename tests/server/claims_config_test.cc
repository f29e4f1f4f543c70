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

}  // namespace
}  // namespace claims::config
