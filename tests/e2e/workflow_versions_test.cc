// Policy editors publish workflow versions without a deploy: claims stay on the version they
// started on, new claims take the newest, and a bad file never replaces a good one.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/e2e/claims_client.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {
namespace {

namespace fs = std::filesystem;
using ::claims::testing::StatusIs;
using ::testing::HasSubstr;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

class WorkflowVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path source = fs::path(SourceDir()) / "config";
    root_ = fs::temp_directory_path() /
            ("claims-versions-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "workflows");
    fs::copy(source / "calendars", root_ / "calendars", fs::copy_options::recursive);
    v1_text_ = ReadFile(source / "workflows" / "cpor-association.yaml");
    WriteFile(root_ / "workflows" / "cpor-association.yaml", v1_text_);
    config_.listen = "127.0.0.1:0";
    config_.database.url = FreshSqliteUrl();
    config_.workflows.directory = (root_ / "workflows").string();
    config_.scheduler.enabled = false;
    Start();
  }

  void TearDown() override {
    Stop();
    fs::remove_all(root_);
  }

  void Start() {
    auto server = server::ClaimsServer::Start(config_);
    ASSERT_OK(server.status());
    server_ = *std::move(server);
    client_ = std::make_unique<ClaimsClient>(server_->InProcessChannel());
  }
  void Stop() {
    client_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
    server_.reset();
  }

  // Version 2 adds a product to the catalog.
  std::string Version2() const {
    return absl::StrReplaceAll(v1_text_,
                               {{"version: 1\n", "version: 2\n"},
                                {"      - {id: power_apps, display_name: Power Apps}\n",
                                 "      - {id: power_apps, display_name: Power Apps}\n"
                                 "      - {id: copilot_studio, display_name: Copilot Studio}\n"}});
  }

  v1::CreateClaimRequest NewClaim(const std::string& product) {
    v1::CreateClaimRequest request;
    request.set_parent("partners/contoso");
    request.mutable_claim()->set_mpn_id("1234567");
    request.mutable_claim()->mutable_customer()->set_tenant_id("t-1");
    request.mutable_claim()->mutable_customer()->set_name("Fabrikam");
    request.mutable_claim()->add_products(product);
    request.mutable_claim()->set_activity("pre_sales");
    return request;
  }

  fs::path root_;
  std::string v1_text_;
  config::ServerConfig config_;
  std::unique_ptr<server::ClaimsServer> server_;
  std::unique_ptr<ClaimsClient> client_;
};

TEST_F(WorkflowVersionsTest, ClaimsStayOnTheirVersionAcrossReloadAndRestart) {
  v1::Claim old_claim;
  ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaim("power_apps"), &old_claim).ok());
  EXPECT_EQ(old_claim.workflow_version(), 1);
  v1::Claim refused;
  EXPECT_EQ(client_->Create(Partner("contoso"), NewClaim("copilot_studio"), &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string v2 = Version2();
  ASSERT_NE(v2, v1_text_);
  fs::remove(root_ / "workflows" / "cpor-association.yaml");
  WriteFile(root_ / "workflows" / "cpor-association-v2.yaml", v2);
  ASSERT_OK(server_->ReloadWorkflows());

  v1::Claim new_claim;
  ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaim("copilot_studio"), &new_claim).ok());
  EXPECT_EQ(new_claim.workflow_version(), 2);

  // The old claim is served by version 1, now read back from the database, after a restart.
  Stop();
  Start();
  v1::Claim read;
  ASSERT_TRUE(client_->Get(Partner("contoso"), old_claim.name(), &read).ok());
  EXPECT_EQ(read.workflow_version(), 1);
  v1::Evidence evidence;
  ASSERT_TRUE(
      client_->AddEvidence(Partner("contoso"), read.name(), "poe.pdf", "%PDF", &evidence).ok());
  ASSERT_TRUE(client_->Act(Partner("contoso"), read.name(), "submit", &read).ok());
  EXPECT_EQ(read.state(), "submitted");
}

TEST_F(WorkflowVersionsTest, AnInvalidFileNeverReplacesTheLoadedVersions) {
  WriteFile(root_ / "workflows" / "broken.yaml", "name: broken\nversion: 1\nstates: 7\n");
  absl::Status status = server_->ReloadWorkflows();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("broken.yaml:")));
  v1::Claim claim;
  ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaim("power_apps"), &claim).ok());
  EXPECT_EQ(claim.workflow_version(), 1);
}

TEST_F(WorkflowVersionsTest, APublishedVersionIsImmutable) {
  // Same name and version, different content: refused, and version 1 keeps serving.
  WriteFile(
      root_ / "workflows" / "cpor-association.yaml",
      absl::StrReplaceAll(v1_text_, {{"\ndescription: >-\n", "\ndescription: >-\n  Changed.\n"}}));
  EXPECT_THAT(server_->ReloadWorkflows(), StatusIs(absl::StatusCode::kAlreadyExists));
  v1::Claim claim;
  ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaim("power_apps"), &claim).ok());
}

TEST_F(WorkflowVersionsTest, ChangedFilesAreReloadedWithoutASignal) {
  Stop();
  config_.workflows.watch_interval = absl::Milliseconds(50);
  Start();
  WriteFile(root_ / "workflows" / "cpor-association-v2.yaml", Version2());
  // Bounded polling: the watcher looks every 50 ms.
  int64_t version = 0;
  for (int attempt = 0; attempt < 200 && version != 2; ++attempt) {
    v1::Claim claim;
    ASSERT_TRUE(client_->Create(Partner("contoso"), NewClaim("power_apps"), &claim).ok());
    version = claim.workflow_version();
    if (version != 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(version, 2);
}

}  // namespace
}  // namespace claims::testing
