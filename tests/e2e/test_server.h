#pragma once

// Shared by the end-to-end tests of the transport: a claimsd configuration on a fresh database
// of either backend, and raw calls that send bytes no generated stub would send.

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/claims_config.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/test_databases.h"

namespace claims::testing {

enum class TestBackend { kSqlite, kMariaDb };

inline std::string TestBackendName(const ::testing::TestParamInfo<TestBackend>& info) {
  return info.param == TestBackend::kSqlite ? "Sqlite" : "MariaDb";
}

// claimsd on loopback (a free port), the shipped workflows, a fresh database of `backend`, no
// scheduler thread and no metrics endpoint (tests that want one set metrics.listen).
inline absl::StatusOr<config::ServerConfig> TestServerConfig(TestBackend backend) {
  config::ServerConfig config;
  config.listen = "127.0.0.1:0";
  if (backend == TestBackend::kSqlite) {
    config.database.url = FreshSqliteUrl();
  } else {
    absl::StatusOr<std::string> url = FreshMariaDbUrl();
    if (!url.ok()) return url.status();
    config.database.url = *url;
  }
  config.workflows.directory = SourceDir() + "/config/workflows";
  config.scheduler.enabled = false;
  config.grpc.worker_threads = 4;
  return config;
}

// The google.rpc details of a status.
struct StatusDetails {
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  google::rpc::RetryInfo retry;
};

inline StatusDetails DetailsOf(const grpc::Status& status) {
  StatusDetails details;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return details;
  for (const auto& any : rpc.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&details.info);
    if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&details.bad_request);
    if (any.Is<google::rpc::RetryInfo>()) any.UnpackTo(&details.retry);
  }
  return details;
}

struct RawReply {
  grpc::Status status;
  std::vector<std::string> messages;  // as they came, serialized
};

// Calls `method` ("/claims.v1.Claims/GetClaim") with `request` as it is, as a stream (which a
// unary method accepts on the wire too): writes it, reads every reply, returns the status.
inline RawReply RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const std::string& request,
                        const std::vector<std::pair<std::string, std::string>>& metadata = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  RawReply reply;
  auto call = stub.PrepareCall(&context, method, &queue);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](int id) {
    return queue.Next(&tag, &ok) && tag == reinterpret_cast<void*>(static_cast<intptr_t>(id)) && ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (step(1)) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->WriteLast(buffer, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    if (step(2)) {
      for (;;) {
        grpc::ByteBuffer response;
        call->Read(&response, reinterpret_cast<void*>(3));
        if (!step(3)) break;
        std::vector<grpc::Slice> slices;
        std::string bytes;
        if (response.Dump(&slices).ok()) {
          for (const auto& s : slices)
            bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        reply.messages.push_back(std::move(bytes));
      }
    }
  }
  call->Finish(&reply.status, reinterpret_cast<void*>(4));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return reply;
}

// grpc.health.v1.Health/Check for `service`: the serving status (1 SERVING, 2 NOT_SERVING), or
// -1 with the RPC's code in `code` when the call failed (NOT_FOUND: an unknown service).
inline int HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                       grpc::StatusCode* code = nullptr) {
  // HealthCheckRequest{service = 1}; HealthCheckResponse{status = 1}, written by hand.
  std::string request;
  if (!service.empty()) {
    request.push_back('\x0a');
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  const RawReply reply = RawCall(channel, "/grpc.health.v1.Health/Check", request, {},
                                 std::chrono::milliseconds(2000));
  if (code != nullptr) *code = reply.status.error_code();
  if (!reply.status.ok() || reply.messages.size() != 1) return -1;
  const std::string& response = reply.messages[0];
  if (response.empty()) return 0;  // UNKNOWN, the default, is not sent
  return response.size() == 2 && response[0] == '\x08' ? response[1] : -1;
}

// GET http://127.0.0.1:port/path over HTTP/1.0: the whole answer, headers included; empty when
// nothing answers within 5 s.
inline std::string HttpGetLoopback(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
        answer.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  return answer;
}

}  // namespace claims::testing
