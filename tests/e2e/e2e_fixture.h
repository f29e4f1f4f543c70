#pragma once

// The end-to-end fixture: claimsd in-process on a loopback port over SQLite or MariaDB, a manual
// clock, and the generated client; plus helpers to read google.rpc error details.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/e2e/claims_client.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {

enum class Backend { kSqlite, kMariaDb };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "MariaDb";
}

// Monday 2 March 2026, 09:00 in New York: a business day with no holiday nearby.
inline absl::Time StartTime() {
  absl::TimeZone zone;
  absl::LoadTimeZone("America/New_York", &zone);
  return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), zone);
}

struct ErrorDetails {
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  google::rpc::PreconditionFailure precondition;
};

inline ErrorDetails Details(const grpc::Status& status) {
  ErrorDetails details;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return details;
  for (const auto& any : rpc.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&details.info);
    if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&details.bad_request);
    if (any.Is<google::rpc::PreconditionFailure>()) any.UnpackTo(&details.precondition);
  }
  return details;
}

MATCHER_P(HasCode, code, "") {
  *result_listener << "status " << arg.error_code() << " " << arg.error_message();
  return arg.error_code() == code;
}

class E2eFixture : public ::testing::TestWithParam<Backend> {
 protected:
  // A test suite changes the configuration here before the server starts.
  virtual void Configure(config::ServerConfig&) {}

  void SetUp() override {
    config::ServerConfig config;
    config.listen = "127.0.0.1:0";
    if (GetParam() == Backend::kSqlite) {
      config.database.url = FreshSqliteUrl();
    } else {
      ASSERT_OK_AND_ASSIGN(config.database.url, FreshMariaDbUrl());
    }
    config.database.max_evidence_bytes = 1024 * 1024;
    config.workflows.directory = SourceDir() + "/config/workflows";
    config.scheduler.enabled = false;  // tests fire timers with RunOnce, deterministically
    config.grpc.worker_threads = 4;
    // The metrics endpoint's web server takes about two seconds to stop, so only the test
    // that reads it starts one.
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (test.find("Metrics") != std::string::npos) config.metrics.listen = "127.0.0.1:0";
    Configure(config);
    auto clock = std::make_unique<server::ManualClock>(StartTime());
    clock_ = clock.get();
    ASSERT_OK_AND_ASSIGN(server_, server::ClaimsServer::Start(config, std::move(clock)));
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    client_ = std::make_unique<ClaimsClient>(channel_);
  }

  void TearDown() override {
    client_.reset();
    channel_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  v1::CreateClaimRequest NewClaimRequest(const std::string& partner = "contoso") {
    return SampleClaimRequest(partner);
  }

  // A claim created by partner contoso and advanced to `state` along the usual path.
  v1::Claim ClaimIn(const std::string& state) {
    v1::Claim claim;
    EXPECT_TRUE(client_->Create(Partner("contoso"), NewClaimRequest(), &claim).ok());
    if (state == "editing") return claim;
    v1::Evidence evidence;
    EXPECT_TRUE(
        client_->AddEvidence(Partner("contoso"), claim.name(), "poe.pdf", "%PDF-1.7", &evidence)
            .ok());
    EXPECT_TRUE(client_->Act(Partner("contoso"), claim.name(), "submit", &claim).ok());
    if (state == "submitted") return claim;
    EXPECT_TRUE(client_->Act(Reviewer(), claim.name(), "start_review", &claim).ok());
    if (state == "under_review") return claim;
    if (state == "partner_action_required") {
      EXPECT_TRUE(client_
                      ->Act(Reviewer(), claim.name(), "request_info", &claim,
                            {"missing_customer_acknowledgment"}, "Please add the signature")
                      .ok());
      return claim;
    }
    if (state == "approved") {
      EXPECT_TRUE(client_->Act(Reviewer(), claim.name(), "approve", &claim).ok());
      return claim;
    }
    if (state == "rejected") {
      EXPECT_TRUE(
          client_->Act(Reviewer(), claim.name(), "reject", &claim, {"insufficient_poe"}).ok());
      return claim;
    }
    ADD_FAILURE() << "no path to " << state;
    return claim;
  }

  // StreamEvents as `who`, after sequence `after`: until `count` events arrived or `seconds`
  // passed.
  std::vector<v1::Event> ReadEvents(const Identity& who, int64_t after, std::size_t count,
                                    int seconds = 10) {
    auto stub = v1::Claims::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    context.AddMetadata("x-claims-actor", who.actor);
    context.AddMetadata("x-claims-roles", who.roles);
    if (!who.partner.empty()) context.AddMetadata("x-claims-partner", who.partner);
    v1::StreamEventsRequest request;
    request.set_after_sequence(after);
    auto reader = stub->StreamEvents(&context, request);
    std::vector<v1::Event> events;
    v1::Event event;
    while (events.size() < count && reader->Read(&event)) events.push_back(event);
    context.TryCancel();
    reader->Finish();
    return events;
  }

  server::ManualClock* clock_ = nullptr;
  std::unique_ptr<server::ClaimsServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ClaimsClient> client_;
};

}  // namespace claims::testing
