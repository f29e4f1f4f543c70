// End to end: the workflow playground through claimsd's own wiring. Off by default (nothing
// listens on the admin port); on, it answers from the server's workflows directory, with the
// shipped workflow's calendar include resolved as the server resolves it; a non-loopback
// address is refused unless admin.allow_non_loopback.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/shipped_workflow.h"

namespace claims::testing {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// A loopback port nothing listens on now (bound, read, released).
int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

class PlaygroundOffE2eTest : public E2eFixture {
 protected:
  void Configure(config::ServerConfig& config) override {
    admin_port_ = UnusedLoopbackPort();
    ASSERT_GT(admin_port_, 0);
    config.admin.listen = "127.0.0.1:" + std::to_string(admin_port_);
  }
  int admin_port_ = 0;
};

TEST_P(PlaygroundOffE2eTest, NothingListensOnTheAdminPortByDefault) {
  EXPECT_FALSE(config::AdminConfig{}.playground);
  EXPECT_EQ(server_->admin_port(), 0);
  httplib::Client client("127.0.0.1", admin_port_);
  client.set_connection_timeout(2);
  httplib::Result answer = client.Get("/");
  EXPECT_FALSE(answer) << "status " << answer->status;
  EXPECT_EQ(answer.error(), httplib::Error::Connection);
}

class PlaygroundE2eTest : public E2eFixture {
 protected:
  void Configure(config::ServerConfig& config) override {
    config.admin.playground = true;
    config.admin.listen = "127.0.0.1:0";
  }
};

TEST_P(PlaygroundE2eTest, ThePageAndItsChecksAreServedFromTheServersWorkflows) {
  ASSERT_GT(server_->admin_port(), 0);
  httplib::Client client("127.0.0.1", server_->admin_port());
  httplib::Result page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("Workflow playground"));

  const std::string shipped =
      ReadTextFile(ShippedWorkflowsDir() + "/cpor-association.yaml").value_or("");
  ASSERT_THAT(shipped, HasSubstr("include: ../calendars/us.yaml"));
  httplib::Result answer =
      client.Post("/api/check", json{{"workflow", shipped}}.dump(), "application/json");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const json body = json::parse(answer->body);
  EXPECT_TRUE(body["valid"]) << body["diagnostics"].dump(2);
  EXPECT_EQ(body["workflow"]["name"], "cpor-association");
  EXPECT_THAT(body["graph"]["svg"].get<std::string>(), HasSubstr("under_review"));

  // The gRPC API goes on beside it.
  v1::Claim claim;
  EXPECT_TRUE(client_->Create(Partner("contoso"), NewClaimRequest(), &claim).ok());

  // Shut down with the server.
  const int port = server_->admin_port();
  server_->Shutdown(absl::Seconds(1));
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(2);
  EXPECT_FALSE(after.Get("/"));
}

TEST_P(PlaygroundE2eTest, ANonLoopbackAdminAddressIsRefusedUnlessAllowed) {
  config::ServerConfig config;
  config.listen = "127.0.0.1:0";
  if (GetParam() == Backend::kSqlite) {
    config.database.url = FreshSqliteUrl();
  } else {
    ASSERT_OK_AND_ASSIGN(config.database.url, FreshMariaDbUrl());
  }
  config.workflows.directory = SourceDir() + "/config/workflows";
  config.scheduler.enabled = false;
  config.admin.playground = true;
  config.admin.listen = "0.0.0.0:0";
  EXPECT_THAT(server::ClaimsServer::Start(config), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                            HasSubstr("admin.allow_non_loopback")));

  config.admin.allow_non_loopback = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<server::ClaimsServer> open,
                       server::ClaimsServer::Start(config));
  EXPECT_GT(open->admin_port(), 0);
  // Reached by an address rather than a loopback name, the Host must be one it was told of.
  httplib::Client client("127.0.0.1", open->admin_port());
  httplib::Result page = client.Get("/", {{"Host", "claims-admin.example"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
  open->Shutdown(absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, PlaygroundOffE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, PlaygroundE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
