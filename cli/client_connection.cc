#include "cli/client_connection.h"

#include <grpcpp/resource_quota.h>

#include <iostream>
#include <utility>

#include "absl/status/status.h"
#include "config/file_reading.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace claims::cli {
namespace {

constexpr std::size_t kMaxPemBytes = 4 << 20;
// What claimsctl accepts from a server: a message at most as large as claimsd's default limit,
// and transport buffers bounded so that a server (or anything posing as one) sending a huge
// message costs this process no more than the quota before it is refused.
constexpr int kMaxReceiveBytes = 4 << 20;
constexpr std::size_t kTransportQuotaBytes = 12 << 20;

grpc::ChannelArguments BoundedChannelArguments() {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  grpc::ResourceQuota quota("claimsctl");
  quota.Resize(kTransportQuotaBytes);
  arguments.SetResourceQuota(quota);
  return arguments;
}

absl::StatusOr<std::string> ReadPemOption(const std::string& path) {
  if (path.empty()) return std::string();
  return config::ReadFileWithin(path, kMaxPemBytes);
}

}  // namespace

void AddConnectionOptions(CLI::App& command, ClientOptions& options) {
  command.add_option("--server", options.server, "host:port of claimsd")->envname("CLAIMS_SERVER");
  command
      .add_option("--token", options.token,
                  "a bearer token (JWT) proving who is calling, for auth.mode jwt")
      ->envname("CLAIMS_TOKEN");
  command.add_option("--actor", options.actor, "who is calling (auth.mode metadata)")
      ->envname("CLAIMS_ACTOR");
  command.add_option("--roles", options.roles, "the caller's roles, comma separated")
      ->envname("CLAIMS_ROLES");
  command.add_option("--partner", options.partner, "the caller's partner id (partner roles)")
      ->envname("CLAIMS_PARTNER");
  command.add_option("--customer-tenant", options.customer_tenant, "customers: their tenant")
      ->envname("CLAIMS_CUSTOMER_TENANT");
  command.add_option("--timeout", options.timeout_seconds, "seconds before giving up")
      ->check(CLI::PositiveNumber);
  command.add_flag("--tls", options.tls, "TLS, the server verified against the system's CAs")
      ->envname("CLAIMS_TLS");
  command.add_option("--tls-ca", options.tls_ca, "PEM CA certificates for the server (TLS)")
      ->envname("CLAIMS_TLS_CA");
  command.add_option("--tls-cert", options.tls_cert, "PEM client certificate (mutual TLS)")
      ->envname("CLAIMS_TLS_CERT");
  command.add_option("--tls-key", options.tls_key, "PEM key of the client certificate")
      ->envname("CLAIMS_TLS_KEY");
  command
      .add_option("--tls-server-name", options.tls_server_name,
                  "the name the server's certificate must carry, when --server is an address")
      ->envname("CLAIMS_TLS_SERVER_NAME");
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ClientOptions& options) {
  const bool tls = options.tls || !options.tls_ca.empty() || !options.tls_cert.empty() ||
                   !options.tls_key.empty();
  if (!tls) {
    return grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(),
                                     BoundedChannelArguments());
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  grpc::SslCredentialsOptions ssl;
  for (auto [path, out] : {std::pair{&options.tls_ca, &ssl.pem_root_certs},
                           std::pair{&options.tls_cert, &ssl.pem_cert_chain},
                           std::pair{&options.tls_key, &ssl.pem_private_key}}) {
    absl::StatusOr<std::string> pem = ReadPemOption(*path);
    if (!pem.ok()) return pem.status();
    *out = *std::move(pem);
  }
  grpc::ChannelArguments arguments = BoundedChannelArguments();
  if (!options.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls_server_name);
  }
  return grpc::CreateCustomChannel(options.server, grpc::SslCredentials(ssl), arguments);
}

void AddIdentity(const ClientOptions& options, grpc::ClientContext& context) {
  if (!options.token.empty()) context.AddMetadata("authorization", "Bearer " + options.token);
  if (!options.actor.empty()) context.AddMetadata("x-claims-actor", options.actor);
  if (!options.roles.empty()) context.AddMetadata("x-claims-roles", options.roles);
  if (!options.partner.empty()) context.AddMetadata("x-claims-partner", options.partner);
  if (!options.customer_tenant.empty()) {
    context.AddMetadata("x-claims-customer-tenant", options.customer_tenant);
  }
}

std::chrono::system_clock::time_point CallDeadline(const ClientOptions& options) {
  return std::chrono::system_clock::now() + std::chrono::seconds(options.timeout_seconds);
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kExitInvalidArgument;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kExitFailedPrecondition;
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitPermissionDenied;
    case grpc::StatusCode::UNAVAILABLE:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

int PrintError(const grpc::Status& status) {
  // gRPC and absl share the canonical code numbering.
  std::cerr << "error: "
            << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
            << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest bad_request;
      google::rpc::PreconditionFailure precondition;
      if (any.UnpackTo(&info)) {
        std::cerr << "  reason: " << info.reason() << "\n";
        for (const auto& [key, value] : info.metadata()) {
          std::cerr << "  " << key << ": " << value << "\n";
        }
      } else if (any.UnpackTo(&bad_request)) {
        for (const auto& v : bad_request.field_violations()) {
          std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
        }
      } else if (any.UnpackTo(&precondition)) {
        for (const auto& v : precondition.violations()) {
          std::cerr << "  precondition " << v.type() << " " << v.subject() << ": "
                    << v.description() << "\n";
        }
      }
    }
  }
  return ExitCodeFor(status.error_code());
}

}  // namespace claims::cli
