// End to end: grpc.health.v1 tells the truth. Readiness ("" and claims.v1.Claims) follows the
// database, within seconds of losing and of regaining it; liveness follows only the process;
// the optional health port answers health and nothing else.

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "claims/v1/claims_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "storage/soci_repository.h"
#include "tests/e2e/claims_client.h"
#include "tests/e2e/test_server.h"
#include "tests/testing/private_mariadb.h"
#include "tests/testing/status_matchers.h"

namespace claims::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kServing = 1;
constexpr int kNotServing = 2;

std::shared_ptr<grpc::Channel> Loopback(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

// Polls `done` every 50 ms for up to `limit`; how long it took, or nullopt.
template <typename Condition>
std::optional<absl::Duration> Within(absl::Duration limit, Condition done) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    if (done()) return absl::Now() - start;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

// Creates claims one after the other until stopped, remembering those acknowledged.
class Writer {
 public:
  explicit Writer(std::shared_ptr<grpc::Channel> channel)
      : client_(std::move(channel)), thread_([this] { Run(); }) {}
  ~Writer() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard lock(mu_);
    return acknowledged_;
  }
  int failures() const { return failures_; }

 private:
  void Run() {
    // Bounded: a few thousand calls at most, whatever happens.
    for (int i = 0; i < 5000 && !stop_; ++i) {
      v1::Claim claim;
      const grpc::Status status = client_.Create(
          Partner("contoso"), SampleClaimRequest("contoso", "w-" + std::to_string(i)), &claim);
      if (status.ok()) {
        std::lock_guard lock(mu_);
        acknowledged_.push_back(claim.name());
      } else {
        ++failures_;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  ClaimsClient client_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::mutex mu_;
  std::vector<std::string> acknowledged_;
  std::thread thread_;
};

TEST(HealthE2eTest, ReadinessFollowsMariaDbDownAndBackAndNothingAcknowledgedIsLost) {
  PrivateMariaDb db("health");
  ASSERT_TRUE(db.Start());
  ASSERT_OK_AND_ASSIGN(const std::string url, db.Url("claims_health"));
  storage::StorageOptions storage_options;
  storage_options.url = url;
  ASSERT_OK(storage::CreateDatabaseIfMissing(storage_options));

  ASSERT_OK_AND_ASSIGN(config::ServerConfig config, TestServerConfig(TestBackend::kSqlite));
  config.database.url = url;
  config.health.listen = "127.0.0.1:0";
  config.health.check_interval = absl::Milliseconds(250);
  config.health.timeout = absl::Seconds(1);
  config.metrics.listen = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, server::ClaimsServer::Start(config));
  const std::vector<std::shared_ptr<grpc::Channel>> ports = {Loopback(server->port()),
                                                             Loopback(server->health_port())};
  auto readiness_is = [&](int expected) {
    for (const auto& channel : ports) {
      for (const char* service : {"", "claims.v1.Claims"}) {
        if (HealthCheck(channel, service) != expected) return false;
      }
    }
    return true;
  };
  std::atomic<int> liveness_lapses{0};
  auto check_liveness = [&] {
    for (const auto& channel : ports) {
      if (HealthCheck(channel, "liveness") != kServing) ++liveness_lapses;
    }
  };
  ASSERT_TRUE(readiness_is(kServing));
  check_liveness();

  Writer writer(ports[0]);
  ASSERT_TRUE(Within(absl::Seconds(20), [&] { return writer.acknowledged().size() >= 5; }));

  ASSERT_TRUE(db.Stop());
  const std::optional<absl::Duration> down = Within(absl::Seconds(10), [&] {
    check_liveness();
    return readiness_is(kNotServing);
  });
  ASSERT_TRUE(down.has_value()) << "readiness still SERVING 10 s after the database stopped";
  EXPECT_LT(*down, absl::Seconds(5));
  std::cout << "readiness NOT_SERVING " << absl::FormatDuration(*down)
            << " after the database stopped\n";
  EXPECT_FALSE(server->database_up());
  EXPECT_THAT(HttpGetLoopback(server->metrics_port(), "/metrics"),
              HasSubstr("claims_database_up 0"));
  const int failures_before = writer.failures();
  ASSERT_TRUE(Within(absl::Seconds(30), [&] { return writer.failures() > failures_before; }));

  ASSERT_TRUE(db.Resume());
  const std::optional<absl::Duration> up = Within(absl::Seconds(10), [&] {
    check_liveness();
    return readiness_is(kServing);
  });
  ASSERT_TRUE(up.has_value()) << "readiness still NOT_SERVING 10 s after the database returned";
  EXPECT_LT(*up, absl::Seconds(5));
  std::cout << "readiness SERVING " << absl::FormatDuration(*up)
            << " after the database returned\n";
  const std::size_t before_resume = writer.acknowledged().size();
  ASSERT_TRUE(
      Within(absl::Seconds(30), [&] { return writer.acknowledged().size() >= before_resume + 3; }));
  writer.Stop();
  EXPECT_EQ(liveness_lapses.load(), 0) << "a database outage must not fail liveness";

  // Every claim the service said it created is there.
  ClaimsClient client(ports[0]);
  const std::vector<std::string> acknowledged = writer.acknowledged();
  for (const std::string& name : acknowledged) {
    v1::Claim claim;
    const grpc::Status status = client.Get(Partner("contoso"), name, &claim);
    EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
  }
  EXPECT_THAT(HttpGetLoopback(server->metrics_port(), "/metrics"),
              HasSubstr("claims_database_up 1"));
  server->Shutdown(absl::Seconds(1));
}

class HealthServicesE2eTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(HealthServicesE2eTest, TheHealthPortAnswersHealthAndNothingElse) {
  ASSERT_OK_AND_ASSIGN(config::ServerConfig config, TestServerConfig(GetParam()));
  config.health.listen = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, server::ClaimsServer::Start(config));
  ASSERT_GT(server->health_port(), 0);
  ASSERT_NE(server->health_port(), server->port());
  auto main_port = Loopback(server->port());
  auto health_port = Loopback(server->health_port());
  for (const auto& channel : {main_port, health_port}) {
    for (const char* service : {"", "claims.v1.Claims", "liveness"}) {
      EXPECT_EQ(HealthCheck(channel, service), kServing) << service;
    }
    grpc::StatusCode code = grpc::StatusCode::OK;
    EXPECT_EQ(HealthCheck(channel, "no.such.Service", &code), -1);
    EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  }
  // Neither the API nor reflection on the health port.
  const RawReply api = RawCall(health_port, "/claims.v1.Claims/GetClaim", "");
  EXPECT_EQ(api.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(api.status.error_message(), HasSubstr("serves grpc.health.v1 only"));
  const RawReply reflection =
      RawCall(health_port, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              std::string("\x3a\x00", 2));
  EXPECT_EQ(reflection.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  const RawReply main_reflection =
      RawCall(main_port, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              std::string("\x3a\x00", 2));
  EXPECT_TRUE(main_reflection.status.ok()) << main_reflection.status.error_message();
  EXPECT_THAT(main_reflection.messages.empty() ? "" : main_reflection.messages[0],
              HasSubstr("claims.v1.Claims"));

  server->Shutdown(absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, HealthServicesE2eTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         TestBackendName);

}  // namespace
}  // namespace claims::testing
