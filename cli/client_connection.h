#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace claims::cli {

// Where claimsd is and who calls it: shared by every command that talks to the server.
struct ClientOptions {
  std::string server = "127.0.0.1:50051";
  std::string actor;
  std::string roles;
  std::string partner;
  std::string customer_tenant;
  std::string token;  // a JWT, for a claimsd with auth.mode jwt
  int timeout_seconds = 30;
  // TLS: on with --tls or any of the files; the system's CAs unless tls_ca names others.
  bool tls = false;
  std::string tls_ca;           // PEM CA certificates that sign the server's certificate
  std::string tls_cert;         // PEM client certificate chain, for mutual TLS
  std::string tls_key;          // its PEM private key
  std::string tls_server_name;  // the name to check the server's certificate for
};

// Adds --server, the identity options (--token, --actor, --roles, --partner,
// --customer-tenant), --timeout and the TLS options to `command`, each with its CLAIMS_*
// environment variable, writing into `options`.
void AddConnectionOptions(CLI::App& command, ClientOptions& options);

// Plaintext unless TLS was asked for; then the server's certificate is verified, and with
// --tls-cert/--tls-key this client presents its own. INVALID_ARGUMENT for inconsistent TLS
// options, the file's error for an unreadable PEM file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ClientOptions& options);

// Puts the caller's identity on `context`: the bearer token and the x-claims-* headers given.
void AddIdentity(const ClientOptions& options, grpc::ClientContext& context);

// Process exit codes, documented in the README ("claimsctl exit codes"): scripts tell the
// kinds of failure apart without parsing messages.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // any other error, and a workflow that does not validate
inline constexpr int kExitUsage = 2;    // bad command line, unreadable local file
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitInvalidArgument = 4;
inline constexpr int kExitFailedPrecondition = 5;
inline constexpr int kExitPermissionDenied = 6;
inline constexpr int kExitUnavailable = 7;

// The exit code for a failed call.
int ExitCodeFor(grpc::StatusCode code);

// Prints "error: CODE: message" and the google.rpc details (ErrorInfo reason and metadata,
// BadRequest field violations, PreconditionFailure violations) to stderr; returns
// ExitCodeFor(status).
int PrintError(const grpc::Status& status);

// A deadline `options.timeout_seconds` from now.
std::chrono::system_clock::time_point CallDeadline(const ClientOptions& options);

// Opens a channel to the server, builds `Service`'s stub, calls `method` with the caller's
// identity and a deadline; on success hands the response to `print` and returns kExitOk,
// otherwise prints the error and returns its exit code. `code`, when given, receives the
// call's status code.
template <typename Service, typename Request, typename Response, typename Print>
int InvokeUnary(const ClientOptions& options, const Request& request,
                grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                      Response*),
                Print&& print, grpc::StatusCode* code = nullptr) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return kExitUsage;
  }
  auto stub = Service::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(CallDeadline(options));
  AddIdentity(options, context);
  Response response;
  grpc::Status status = (stub.get()->*method)(&context, request, &response);
  if (code != nullptr) *code = status.error_code();
  if (!status.ok()) return PrintError(status);
  return print(response);
}

}  // namespace claims::cli
