// End to end: when every worker is busy and the queue is full, a call is refused at once with
// RESOURCE_EXHAUSTED and a hint of when to retry, instead of waiting without bound; the calls
// already queued still complete.

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "claims/v1/claims_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "storage/soci_repository.h"
#include "tests/e2e/claims_client.h"
#include "tests/e2e/test_server.h"
#include "tests/testing/status_matchers.h"

namespace claims::testing {
namespace {

using ::testing::HasSubstr;

class LoadSheddingE2eTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(LoadSheddingE2eTest, AFullQueueRefusesAtOnceAndTheQueuedCallsComplete) {
  ASSERT_OK_AND_ASSIGN(config::ServerConfig config, TestServerConfig(GetParam()));
  config.grpc.worker_threads = 1;
  config.grpc.max_queued_calls = 2;
  config.metrics.listen = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, server::ClaimsServer::Start(config));
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                     grpc::InsecureChannelCredentials());
  ClaimsClient client(channel);

  // The first write holds the only worker until released.
  absl::Notification entered;
  absl::Notification release;
  storage::SetWriteHookForTest(server->repository(), [&](std::string_view step) {
    if (step == "claim" && !entered.HasBeenNotified()) {
      entered.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  });
  auto create = [&](const std::string& id) {
    return std::async(std::launch::async, [&client, id] {
      v1::Claim claim;
      return client.Create(Partner("contoso"), SampleClaimRequest("contoso", id), &claim);
    });
  };
  auto first = create("first");
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(20)));
  auto second = create("second");
  auto third = create("third");
  for (int i = 0; i < 2000 && server->workers().queued() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server->workers().queued(), 2);

  // Past the bound: refused without waiting for the worker.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  context.AddMetadata("x-claims-actor", "pat");
  context.AddMetadata("x-claims-roles", "billing_admin");
  context.AddMetadata("x-claims-partner", "contoso");
  auto stub = v1::Claims::NewStub(channel);
  v1::Claim refused_claim;
  const auto before = std::chrono::steady_clock::now();
  const grpc::Status refused =
      stub->CreateClaim(&context, SampleClaimRequest("contoso", "fourth"), &refused_claim);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("overloaded"));
  const StatusDetails details = DetailsOf(refused);
  EXPECT_EQ(details.info.reason(), "OVERLOADED");
  EXPECT_GT(details.retry.retry_delay().nanos() + details.retry.retry_delay().seconds(), 0);
  auto pushback = context.GetServerTrailingMetadata().find("grpc-retry-pushback-ms");
  ASSERT_NE(pushback, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(pushback->second.data(), pushback->second.size()), "500");

  const std::string metrics = HttpGetLoopback(server->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("claims_worker_queue_depth 2"));
  EXPECT_THAT(metrics, HasSubstr("claims_worker_queue_rejected_total 1"));
  EXPECT_THAT(
      metrics,
      HasSubstr("claims_rpc_calls_total{code=\"RESOURCE_EXHAUSTED\",method=\"CreateClaim\"} 1"));

  release.Notify();
  for (auto* call : {&first, &second, &third}) {
    const grpc::Status status = call->get();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  storage::SetWriteHookForTest(server->repository(), nullptr);
  server->Shutdown(absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadSheddingE2eTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         TestBackendName);

}  // namespace
}  // namespace claims::testing
