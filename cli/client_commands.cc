// claimsctl's gRPC client: one sub-command per RPC of claims.v1.Claims, for reviewers and
// scripts. Responses print as JSON; errors print the status with its google.rpc details.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <chrono>
#include <iostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "claims/v1/claims_service.grpc.pb.h"
#include "cli/command_registry.h"
#include "config/file_reading.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

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

constexpr std::size_t kMaxPemBytes = 4 << 20;
// claimsd's default grpc.max_message_bytes (4 MiB) less room for the request's other fields:
// a larger upload could not be sent in one message anyway.
constexpr std::size_t kMaxEvidenceBytes = (4 << 20) - (64 << 10);
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

// Plaintext unless TLS was asked for; then the server's certificate is verified, and with
// --tls-cert/--tls-key this client presents its own.
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

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
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
  return 1;
}

// Runs one unary call with the caller's identity and a deadline; prints the outcome.
template <typename Request, typename Response>
int Invoke(const ClientOptions& options, const Request& request,
           grpc::Status (pb::Claims::Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*)) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return 2;
  }
  auto stub = pb::Claims::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(options.timeout_seconds));
  if (!options.token.empty()) context.AddMetadata("authorization", "Bearer " + options.token);
  if (!options.actor.empty()) context.AddMetadata("x-claims-actor", options.actor);
  if (!options.roles.empty()) context.AddMetadata("x-claims-roles", options.roles);
  if (!options.partner.empty()) context.AddMetadata("x-claims-partner", options.partner);
  if (!options.customer_tenant.empty()) {
    context.AddMetadata("x-claims-customer-tenant", options.customer_tenant);
  }
  Response response;
  grpc::Status status = (stub.get()->*method)(&context, request, &response);
  if (!status.ok()) return PrintError(status);
  PrintJson(response);
  return 0;
}

void AddClientCommands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* claims = app.add_subcommand("claims", "call the claims service");
  claims->require_subcommand(1);
  // The connection and identity options may follow the command too: `claims get NAME --tls`.
  claims->fallthrough();
  claims->add_option("--server", options->server, "host:port of claimsd")->envname("CLAIMS_SERVER");
  claims
      ->add_option("--token", options->token,
                   "a bearer token (JWT) proving who is calling, for auth.mode jwt")
      ->envname("CLAIMS_TOKEN");
  claims->add_option("--actor", options->actor, "who is calling (auth.mode metadata)")
      ->envname("CLAIMS_ACTOR");
  claims->add_option("--roles", options->roles, "the caller's roles, comma separated")
      ->envname("CLAIMS_ROLES");
  claims->add_option("--partner", options->partner, "the caller's partner id (partner roles)")
      ->envname("CLAIMS_PARTNER");
  claims->add_option("--customer-tenant", options->customer_tenant, "customers: their tenant")
      ->envname("CLAIMS_CUSTOMER_TENANT");
  claims->add_option("--timeout", options->timeout_seconds, "seconds before giving up")
      ->check(CLI::PositiveNumber);
  claims->add_flag("--tls", options->tls, "TLS, the server verified against the system's CAs")
      ->envname("CLAIMS_TLS");
  claims->add_option("--tls-ca", options->tls_ca, "PEM CA certificates for the server (TLS)")
      ->envname("CLAIMS_TLS_CA");
  claims->add_option("--tls-cert", options->tls_cert, "PEM client certificate (mutual TLS)")
      ->envname("CLAIMS_TLS_CERT");
  claims->add_option("--tls-key", options->tls_key, "PEM key of the client certificate")
      ->envname("CLAIMS_TLS_KEY");
  claims
      ->add_option("--tls-server-name", options->tls_server_name,
                   "the name the server's certificate must carry, when --server is an address")
      ->envname("CLAIMS_TLS_SERVER_NAME");

  auto create = std::make_shared<pb::CreateClaimRequest>();
  CLI::App* create_cmd = claims->add_subcommand("create", "create a claim");
  auto partner_parent = std::make_shared<std::string>();
  create_cmd->add_option("parent", *partner_parent, "partners/{partner}")->required();
  auto* claim = create->mutable_claim();
  create_cmd->add_option("--mpn", *claim->mutable_mpn_id(), "MPN id")->required();
  create_cmd->add_option("--customer-tenant-id", *claim->mutable_customer()->mutable_tenant_id())
      ->required();
  create_cmd->add_option("--customer-name", *claim->mutable_customer()->mutable_name());
  create_cmd->add_option("--customer-contact", *claim->mutable_customer_contact()->mutable_email(),
                         "customer contact e-mail");
  create_cmd->add_option("--partner-contact", *claim->mutable_partner_contact()->mutable_email(),
                         "partner contact e-mail");
  auto products = std::make_shared<std::vector<std::string>>();
  create_cmd->add_option("--product", *products, "product code (repeat)")->required();
  create_cmd->add_option("--activity", *claim->mutable_activity(), "activity code")->required();
  create_cmd->add_option("--workflow", *create->mutable_workflow(), "workflow name");
  create_cmd->add_option("--request-id", *create->mutable_request_id(), "for safe retries");
  create_cmd->callback([options, create, partner_parent, products, &exit_code] {
    create->set_parent(*partner_parent);
    for (const auto& p : *products) create->mutable_claim()->add_products(p);
    exit_code = Invoke(*options, *create, &pb::Claims::Stub::CreateClaim);
  });

  auto get = std::make_shared<pb::GetClaimRequest>();
  CLI::App* get_cmd = claims->add_subcommand("get", "show a claim");
  get_cmd->add_option("name", *get->mutable_name(), "partners/{partner}/claims/{claim}")
      ->required();
  get_cmd->callback([options, get, &exit_code] {
    exit_code = Invoke(*options, *get, &pb::Claims::Stub::GetClaim);
  });

  auto list = std::make_shared<pb::ListClaimsRequest>();
  auto breached = std::make_shared<std::string>();
  CLI::App* list_cmd = claims->add_subcommand("list", "list claims, newest first");
  list_cmd->add_option("parent", *list->mutable_parent(), "partners/{partner} or partners/-")
      ->required();
  list_cmd->add_option("--state", *list->mutable_state(), "only claims in this state");
  list_cmd->add_option("--sla-breached", *breached, "true or false")
      ->check(CLI::IsMember({"true", "false"}));
  auto page_size = std::make_shared<int>(0);
  list_cmd->add_option("--page-size", *page_size)->check(CLI::NonNegativeNumber);
  list_cmd->add_option("--page-token", *list->mutable_page_token());
  list_cmd->callback([options, list, breached, page_size, &exit_code] {
    if (!breached->empty()) list->set_sla_breached(*breached == "true");
    list->set_page_size(*page_size);
    exit_code = Invoke(*options, *list, &pb::Claims::Stub::ListClaims);
  });

  auto act = std::make_shared<pb::PerformActionRequest>();
  auto reasons = std::make_shared<std::vector<std::string>>();
  auto internal = std::make_shared<bool>(false);
  CLI::App* act_cmd = claims->add_subcommand("act", "perform a workflow action");
  act_cmd->add_option("name", *act->mutable_name(), "partners/{partner}/claims/{claim}")
      ->required();
  act_cmd->add_option("action", *act->mutable_action(), "e.g. submit, approve, dispute")
      ->required();
  act_cmd->add_option("--reason", *reasons, "reason code (repeat)");
  act_cmd->add_option("--comment", *act->mutable_comment());
  act_cmd->add_flag("--internal", *internal, "the comment is for reviewers only");
  act_cmd->add_option("--etag", *act->mutable_etag(), "act only on this version");
  act_cmd->add_option("--request-id", *act->mutable_request_id(), "for safe retries");
  act_cmd->callback([options, act, reasons, internal, &exit_code] {
    for (const auto& r : *reasons) act->add_reasons(r);
    if (*internal) act->set_comment_visibility(pb::Comment::INTERNAL);
    exit_code = Invoke(*options, *act, &pb::Claims::Stub::PerformAction);
  });

  auto update = std::make_shared<pb::UpdateClaimRequest>();
  auto update_products = std::make_shared<std::vector<std::string>>();
  CLI::App* update_cmd = claims->add_subcommand("update", "edit fields of a claim");
  auto* fields = update->mutable_claim();
  update_cmd->add_option("name", *fields->mutable_name())->required();
  update_cmd->add_option("--mpn", *fields->mutable_mpn_id());
  update_cmd->add_option("--product", *update_products, "product code (repeat)");
  update_cmd->add_option("--customer-contact",
                         *fields->mutable_customer_contact()->mutable_email());
  update_cmd->add_option("--partner-contact", *fields->mutable_partner_contact()->mutable_email());
  update_cmd->add_option("--etag", *fields->mutable_etag());
  update_cmd->add_option("--request-id", *update->mutable_request_id());
  update_cmd->callback([options, update, update_products, update_cmd, &exit_code] {
    auto* mask = update->mutable_update_mask();
    if (update_cmd->count("--mpn") > 0) mask->add_paths("mpn_id");
    if (!update_products->empty()) {
      mask->add_paths("products");
      for (const auto& p : *update_products) update->mutable_claim()->add_products(p);
    }
    if (update_cmd->count("--customer-contact") > 0) mask->add_paths("customer_contact");
    if (update_cmd->count("--partner-contact") > 0) mask->add_paths("partner_contact");
    exit_code = Invoke(*options, *update, &pb::Claims::Stub::UpdateClaim);
  });

  auto comment = std::make_shared<pb::AddCommentRequest>();
  auto comment_internal = std::make_shared<bool>(false);
  CLI::App* comment_cmd = claims->add_subcommand("comment", "comment on a claim");
  comment_cmd->add_option("name", *comment->mutable_parent())->required();
  comment_cmd->add_option("text", *comment->mutable_comment()->mutable_text())->required();
  comment_cmd->add_flag("--internal", *comment_internal, "visible to reviewers only");
  comment_cmd->callback([options, comment, comment_internal, &exit_code] {
    comment->mutable_comment()->set_visibility(*comment_internal ? pb::Comment::INTERNAL
                                                                 : pb::Comment::PUBLIC);
    exit_code = Invoke(*options, *comment, &pb::Claims::Stub::AddComment);
  });

  auto evidence = std::make_shared<pb::AddEvidenceRequest>();
  auto evidence_file = std::make_shared<std::string>();
  CLI::App* evidence_cmd = claims->add_subcommand("evidence", "upload proof of execution");
  evidence_cmd->add_option("name", *evidence->mutable_parent())->required();
  evidence_cmd->add_option("file", *evidence_file)->required()->check(CLI::ExistingFile);
  evidence_cmd->add_option("--content-type", *evidence->mutable_evidence()->mutable_content_type());
  evidence_cmd->callback([options, evidence, evidence_file, &exit_code] {
    // More than one message can carry is refused before it is read.
    absl::StatusOr<std::string> bytes = config::ReadFileWithin(*evidence_file, kMaxEvidenceBytes);
    if (!bytes.ok()) {
      std::cerr << "error: " << bytes.status().message() << "\n";
      exit_code = 2;
      return;
    }
    evidence->mutable_evidence()->set_file_name(
        evidence_file->substr(evidence_file->find_last_of('/') + 1));
    evidence->mutable_evidence()->set_content(*std::move(bytes));
    exit_code = Invoke(*options, *evidence, &pb::Claims::Stub::AddEvidence);
  });

  auto history = std::make_shared<pb::GetClaimHistoryRequest>();
  CLI::App* history_cmd = claims->add_subcommand("history", "history, comments and evidence");
  history_cmd->add_option("name", *history->mutable_name())->required();
  history_cmd->callback([options, history, &exit_code] {
    exit_code = Invoke(*options, *history, &pb::Claims::Stub::GetClaimHistory);
  });
}

const CommandRegistration kRegistration{"claims", &AddClientCommands};

}  // namespace
}  // namespace claims::cli
