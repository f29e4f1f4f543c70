// End to end: the main port over TLS and mutual TLS, certificates renewed on disk without a
// restart, and what a client without the right certificate gets.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "claims/v1/claims_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/claims_server.h"
#include "tests/e2e/claims_client.h"
#include "tests/e2e/test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"

namespace claims::testing {
namespace {

using ::claims::testing::StatusIs;
using ::testing::HasSubstr;

struct ClientCert {
  std::string cert;  // file names in the certificate directory; empty: none
  std::string key;
};

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& certs, int port,
                                          const std::string& ca = "ca.crt",
                                          const ClientCert& client = {}) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadTestFile(certs + "/" + ca);
  if (!client.cert.empty()) {
    ssl.pem_cert_chain = ReadTestFile(certs + "/" + client.cert);
    ssl.pem_private_key = ReadTestFile(certs + "/" + client.key);
  }
  grpc::ChannelArguments arguments;
  // A new connection for every channel: the reload test must see each handshake.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("localhost:" + std::to_string(port), grpc::SslCredentials(ssl),
                                   arguments);
}

// A call that needs the whole stack: NOT_FOUND for a claim that does not exist.
grpc::Status GetMissingClaim(const std::shared_ptr<grpc::Channel>& channel,
                             std::string* peer_certificate = nullptr) {
  auto stub = v1::Claims::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  context.AddMetadata("x-claims-actor", "rita");
  context.AddMetadata("x-claims-roles", "reviewer");
  v1::GetClaimRequest request;
  request.set_name("partners/-/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV");
  v1::Claim claim;
  grpc::Status status = stub->GetClaim(&context, request, &claim);
  if (peer_certificate != nullptr && context.auth_context()) {
    for (const auto& value : context.auth_context()->FindPropertyValues("x509_pem_cert")) {
      *peer_certificate = std::string(value.data(), value.size());
    }
  }
  return status;
}

class TlsE2eTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(certs_, MakeTestCerts());
    ASSERT_OK_AND_ASSIGN(config_, TestServerConfig(GetParam()));
    config_.tls.cert_file = certs_ + "/tls.crt";
    config_.tls.key_file = certs_ + "/tls.key";
    std::filesystem::copy_file(certs_ + "/server.crt", config_.tls.cert_file);
    std::filesystem::copy_file(certs_ + "/server.key", config_.tls.key_file);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    std::error_code ignored;
    std::filesystem::remove_all(certs_, ignored);
  }

  void StartServer() { ASSERT_OK_AND_ASSIGN(server_, server::ClaimsServer::Start(config_)); }

  std::string certs_;
  config::ServerConfig config_;
  std::unique_ptr<server::ClaimsServer> server_;
};

TEST_P(TlsE2eTest, CallsOverTlsAndNotInPlaintext) {
  StartServer();
  EXPECT_EQ(GetMissingClaim(TlsChannel(certs_, server_->port())).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A plaintext client and a client that trusts another CA do not get through.
  const grpc::Status plaintext = GetMissingClaim(grpc::CreateChannel(
      "localhost:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GetMissingClaim(TlsChannel(certs_, server_->port(), "other-ca.crt")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_P(TlsE2eTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  config_.tls.client_ca_file = certs_ + "/ca.crt";
  StartServer();
  const int port = server_->port();
  EXPECT_EQ(GetMissingClaim(TlsChannel(certs_, port, "ca.crt", {"client.crt", "client.key"}))
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetMissingClaim(TlsChannel(certs_, port)).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "a client without a certificate";
  EXPECT_EQ(
      GetMissingClaim(TlsChannel(certs_, port, "ca.crt", {"other-client.crt", "other-client.key"}))
          .error_code(),
      grpc::StatusCode::UNAVAILABLE)
      << "a client whose certificate another CA signed";
}

TEST_P(TlsE2eTest, ARenewedCertificateIsServedWithoutARestart) {
  config_.tls.reload_interval = absl::Seconds(1);
  StartServer();
  std::string served;
  ASSERT_EQ(GetMissingClaim(TlsChannel(certs_, server_->port()), &served).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(served, ReadTestFile(certs_ + "/server.crt"));

  // As a certificate manager renews it: new files written aside, then renamed into place.
  std::filesystem::copy_file(certs_ + "/server2.key", certs_ + "/tls.key.new");
  std::filesystem::copy_file(certs_ + "/server2.crt", certs_ + "/tls.crt.new");
  std::filesystem::rename(certs_ + "/tls.key.new", config_.tls.key_file);
  std::filesystem::rename(certs_ + "/tls.crt.new", config_.tls.cert_file);
  const std::string renewed = ReadTestFile(certs_ + "/server2.crt");
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {  // polls for up to about 10 s
    std::string now_served;
    const grpc::Status status = GetMissingClaim(TlsChannel(certs_, server_->port()), &now_served);
    switched = status.error_code() == grpc::StatusCode::NOT_FOUND && now_served == renewed;
    if (!switched) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(switched) << "the renewed certificate was not served within 10 s";
}

TEST_P(TlsE2eTest, TheHealthPortStaysPlaintextForProbes) {
  config_.tls.client_ca_file = certs_ + "/ca.crt";
  config_.health.listen = "127.0.0.1:0";
  StartServer();
  auto probe = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->health_port()),
                                   grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthCheck(probe, "claims.v1.Claims"), 1);
  EXPECT_EQ(HealthCheck(probe, "liveness"), 1);
}

TEST_P(TlsE2eTest, UnusableCertificateFilesStopStartUp) {
  config_.tls.key_file = certs_ + "/server2.key";  // another certificate's key
  EXPECT_THAT(server::ClaimsServer::Start(config_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not the key of the certificate in " + config_.tls.cert_file)));
  config_.tls.key_file = certs_ + "/tls.key";
  config_.tls.cert_file = certs_ + "/no-such.crt";
  EXPECT_THAT(server::ClaimsServer::Start(config_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("tls.cert_file")));
  config_.tls.cert_file = certs_ + "/tls.key";  // a key where the certificate should be
  EXPECT_THAT(server::ClaimsServer::Start(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no PEM certificate")));
  config_.tls.cert_file = certs_ + "/tls.crt";
  config_.tls.client_ca_file = certs_ + "/tls.key";
  EXPECT_THAT(server::ClaimsServer::Start(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.client_ca_file")));
}

INSTANTIATE_TEST_SUITE_P(Backends, TlsE2eTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         TestBackendName);

}  // namespace
}  // namespace claims::testing
