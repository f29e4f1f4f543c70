// claimsctl's gRPC client: one sub-command per RPC of claims.v1.Claims, for reviewers and
// scripts. Responses print as text or JSON (--output); errors print the status with its
// google.rpc details and exit with a code per kind (cli/client_connection.h).

#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/status/statusor.h"
#include "claims/v1/claims_service.grpc.pb.h"
#include "cli/claim_text.h"
#include "cli/client_connection.h"
#include "cli/command_registry.h"
#include "cli/evidence_commands.h"
#include "cli/output.h"
#include "cli/watch_command.h"
#include "config/file_reading.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

// Prints a response as JSON or, for people, with `text`.
template <typename Response>
auto Printer(void (*text)(const Response&, std::ostream&)) {
  return [text](const Response& response) {
    if (SelectedOutput() == OutputFormat::kJson) {
      PrintJson(response, std::cout);
    } else {
      text(response, std::cout);
    }
    return kExitOk;
  };
}

template <typename Request, typename Response>
int Invoke(const ClientOptions& options, const Request& request,
           grpc::Status (pb::Claims::Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*),
           void (*text)(const Response&, std::ostream&)) {
  return InvokeUnary<pb::Claims>(options, request, method, Printer(text));
}

void AddClientCommands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* claims = app.add_subcommand("claims", "call the claims service");
  claims->require_subcommand(1);
  // The connection and identity options may follow the command too: `claims get NAME --tls`.
  claims->fallthrough();
  AddConnectionOptions(*claims, *options);
  AddWatchCommand(*claims, options, exit_code);

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
    exit_code = Invoke(*options, *create, &pb::Claims::Stub::CreateClaim, &PrintClaimText);
  });

  auto get = std::make_shared<pb::GetClaimRequest>();
  CLI::App* get_cmd = claims->add_subcommand("get", "show a claim");
  get_cmd->add_option("name", *get->mutable_name(), "partners/{partner}/claims/{claim}")
      ->required();
  get_cmd->callback([options, get, &exit_code] {
    exit_code = Invoke(*options, *get, &pb::Claims::Stub::GetClaim, &PrintClaimText);
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
    exit_code = Invoke(*options, *list, &pb::Claims::Stub::ListClaims, &PrintClaimListText);
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
    exit_code = Invoke(*options, *act, &pb::Claims::Stub::PerformAction, &PrintClaimText);
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
    exit_code = Invoke(*options, *update, &pb::Claims::Stub::UpdateClaim, &PrintClaimText);
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
    exit_code = Invoke(*options, *comment, &pb::Claims::Stub::AddComment, &PrintCommentText);
  });

  AddEvidenceCommands(*claims, options, exit_code);

  auto history = std::make_shared<pb::GetClaimHistoryRequest>();
  CLI::App* history_cmd = claims->add_subcommand("history", "history, comments and evidence");
  history_cmd->add_option("name", *history->mutable_name())->required();
  history_cmd->callback([options, history, &exit_code] {
    exit_code = Invoke(*options, *history, &pb::Claims::Stub::GetClaimHistory, &PrintHistoryText);
  });
}

const CommandRegistration kRegistration{"claims", &AddClientCommands};

}  // namespace
}  // namespace claims::cli
