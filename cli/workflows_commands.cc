// claimsctl workflows list|get|validate|graph: the workflows a running claimsd has loaded, read
// over its Workflows service (what reviewer tools and integrators see), and YAML checked by the
// server before it is published. The local `validate` and `graph` commands read files instead.
// diff, migrate and recompute-deadlines are in workflow_changes_commands.cc.

#include "cli/workflows_commands.h"

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "claims/v1/workflow_service.grpc.pb.h"
#include "cli/client_connection.h"
#include "cli/command_registry.h"
#include "cli/input_files.h"
#include "cli/output.h"

namespace claims::cli {

std::string WorkflowName(const std::string& given, std::int64_t version) {
  std::string name = given.rfind("workflows/", 0) == 0 ? given : "workflows/" + given;
  if (version > 0) name += "/versions/" + std::to_string(version);
  return name;
}

namespace {

namespace pb = ::claims::v1;

template <typename Repeated>
std::string Joined(const Repeated& values) {
  return JoinOrDash(std::vector<std::string>(values.begin(), values.end()));
}

std::string RequirementWord(pb::Requirement requirement) {
  switch (requirement) {
    case pb::REQUIREMENT_OPTIONAL:
      return "optional";
    case pb::REQUIREMENT_REQUIRED:
      return "required";
    case pb::REQUIREMENT_FORBIDDEN:
      return "no";
    default:
      return "-";
  }
}

// What the action's form asks for: "reasons 1-3 of rejection_reasons; comment required".
std::string InputsSummary(const pb::ActionInputs& inputs) {
  std::vector<std::string> parts;
  if (inputs.has_reasons()) {
    parts.push_back("reasons " + std::to_string(inputs.reasons().min()) + "-" +
                    std::to_string(inputs.reasons().max()) + " of " + inputs.reasons().catalog());
  }
  // Optional is what an action takes unless it says otherwise: only the rules are listed.
  auto rule = [](pb::Requirement requirement) {
    return requirement == pb::REQUIREMENT_REQUIRED || requirement == pb::REQUIREMENT_FORBIDDEN;
  };
  if (rule(inputs.comment())) parts.push_back("comment " + RequirementWord(inputs.comment()));
  if (rule(inputs.new_evidence())) {
    parts.push_back("new evidence " + RequirementWord(inputs.new_evidence()));
  }
  if (inputs.comment_or_new_evidence()) parts.push_back("comment or new evidence");
  std::string summary;
  for (const std::string& part : parts) summary += (summary.empty() ? "" : "; ") + part;
  return summary;
}

int PrintWorkflowList(const pb::ListWorkflowsResponse& list) {
  if (SelectedOutput() == OutputFormat::kJson) {
    PrintJson(list, std::cout);
    return kExitOk;
  }
  Table table({"NAME", "DEFAULT", "VERSIONS", "SHA256", "DESCRIPTION"});
  for (const pb::WorkflowSummary& workflow : list.workflows()) {
    std::vector<std::string> versions;
    for (const auto& version : workflow.versions()) {
      versions.push_back(std::to_string(version.version()));
    }
    const std::string sha = workflow.versions().empty() ? "" : workflow.versions(0).sha256();
    table.AddRow({workflow.name(), workflow.is_default() ? "yes" : "", JoinOrDash(versions),
                  sha.substr(0, 12), workflow.description()});
  }
  table.Print(std::cout);
  return kExitOk;
}

void PrintWorkflowText(const pb::Workflow& workflow) {
  std::cout << workflow.name() << (workflow.is_default() ? " (default)" : "") << "\n"
            << "  " << workflow.description() << "\n"
            << "  sha256 " << workflow.sha256() << ", published "
            << FormatTime(workflow.publish_time()) << "\n"
            << "  created by " << Joined(workflow.create().roles()) << " in "
            << workflow.create().initial_state() << "\n\nstates:\n";
  Table states({"STATE", "NAME", "TERMINAL", "EVIDENCE BY", "COMMENTS BY"});
  for (const pb::WorkflowState& state : workflow.states()) {
    states.AddRow({state.id(), state.display_name(), state.terminal() ? "yes" : "",
                   Joined(state.evidence_roles()), Joined(state.comment_roles())});
  }
  states.Print(std::cout);
  std::cout << "\nactions:\n";
  Table actions({"ACTION", "FROM", "TO", "ROLES", "NEEDS", "GUARDS"}, 70);
  for (const pb::WorkflowTransition& transition : workflow.transitions()) {
    std::vector<std::string> guards;
    for (const pb::Guard& guard : transition.guards()) guards.push_back(guard.description());
    actions.AddRow({transition.id(), Joined(transition.from()), transition.to(),
                    Joined(transition.roles()), InputsSummary(transition.inputs()),
                    JoinOrDash(guards)});
  }
  actions.Print(std::cout);
  if (workflow.timers_size() > 0) {
    std::cout << "\ntimers:\n";
    Table timers({"TIMER", "DURATION", "CALENDAR", "STARTS ON", "WARNS", "ON DEADLINE"});
    for (const pb::WorkflowTimer& timer : workflow.timers()) {
      std::string on_deadline = timer.on_deadline();
      if (!timer.transition().empty()) on_deadline += " " + timer.transition();
      timers.AddRow({timer.id(), timer.duration(), timer.calendar(), Joined(timer.start_on()),
                     timer.warn_before().empty() ? "" : timer.warn_before() + " before",
                     on_deadline});
    }
    timers.Print(std::cout);
  }
  for (const pb::Catalog& catalog : workflow.catalogs()) {
    std::cout << "\ncatalog " << catalog.id() << " (" << catalog.display_name() << "):\n";
    for (const pb::CatalogEntry& entry : catalog.entries()) {
      std::cout << "  " << entry.id() << "  " << entry.display_name() << "\n";
    }
  }
}

struct GetOptions {
  std::string name;
  std::int64_t version = 0;
  bool source = false;
};

struct ValidateOptions {
  std::vector<std::string> files;
};

struct GraphOptions {
  std::string name;
  std::int64_t version = 0;
  std::string file;
  std::string format = "dot";
};

int Validate(const ClientOptions& options, const ValidateOptions& validate) {
  const bool json = SelectedOutput() == OutputFormat::kJson;
  nlohmann::json results = nlohmann::json::array();
  int exit_code = kExitOk;
  for (const std::string& file : validate.files) {
    std::optional<std::string> text = ReadInputFile(file);
    if (!text.has_value()) return kExitUsage;
    pb::ValidateWorkflowRequest request;
    request.set_source(*std::move(text));
    request.set_file_name(file.substr(file.find_last_of('/') + 1));
    bool valid = false;
    const int call_exit = InvokeUnary<pb::Workflows>(
        options, request, &pb::Workflows::Stub::ValidateWorkflow,
        [&](const pb::ValidateWorkflowResponse& response) {
          valid = response.valid();
          if (json) {
            nlohmann::json entry = nlohmann::json::parse(CompactJson(response));
            entry["file"] = file;
            entry["valid"] = response.valid();  // proto3 JSON leaves false out
            results.push_back(std::move(entry));
          } else if (response.valid()) {
            std::cout << file << ": ok (" << response.id() << " v" << response.version() << ")\n";
          } else {
            for (const pb::Diagnostic& diagnostic : response.diagnostics()) {
              // The server names the source by the file name it was sent; people edit the
              // path they gave, as the local `validate` prints it.
              const bool same_file =
                  diagnostic.file().empty() || diagnostic.file() == request.file_name();
              std::cerr << (same_file ? file : diagnostic.file()) << ":" << diagnostic.line() << ":"
                        << diagnostic.column() << ": " << diagnostic.message() << "\n";
            }
          }
          return kExitOk;
        });
    if (call_exit != kExitOk) return call_exit;
    if (!valid) exit_code = kExitFailure;
  }
  if (json) std::cout << results.dump(2) << "\n";
  return exit_code;
}

int Graph(const ClientOptions& options, const GraphOptions& graph) {
  pb::RenderGraphRequest request;
  if (!graph.file.empty()) {
    std::optional<std::string> text = ReadInputFile(graph.file);
    if (!text.has_value()) return kExitUsage;
    request.set_source(*std::move(text));
  } else if (!graph.name.empty()) {
    request.set_name(WorkflowName(graph.name, graph.version));
  } else {
    std::cerr << "error: name a workflow or give --file\n";
    return kExitUsage;
  }
  request.set_format(graph.format == "mermaid" ? pb::GRAPH_FORMAT_MERMAID : pb::GRAPH_FORMAT_DOT);
  return InvokeUnary<pb::Workflows>(options, request, &pb::Workflows::Stub::RenderGraph,
                                    [](const pb::RenderGraphResponse& response) {
                                      if (SelectedOutput() == OutputFormat::kJson) {
                                        PrintJson(response, std::cout);
                                      } else {
                                        std::cout << response.graph();
                                      }
                                      return kExitOk;
                                    });
}

void AddWorkflowsCommands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* workflows =
      app.add_subcommand("workflows", "read the workflows claimsd serves; validate YAML on it");
  workflows->require_subcommand(1);
  workflows->fallthrough();
  AddConnectionOptions(*workflows, *options);

  workflows->add_subcommand("list", "loaded workflows with their versions")
      ->callback([options, &exit_code] {
        exit_code =
            InvokeUnary<pb::Workflows>(*options, pb::ListWorkflowsRequest(),
                                       &pb::Workflows::Stub::ListWorkflows, &PrintWorkflowList);
      });

  auto get = std::make_shared<GetOptions>();
  CLI::App* get_cmd = workflows->add_subcommand(
      "get", "states, actions with what they need, timers and catalogs of a workflow");
  get_cmd->add_option("name", get->name, "workflow id or workflows/{id}[/versions/{n}]")
      ->required();
  get_cmd->add_option("--version", get->version, "this version (default: the newest)")
      ->check(CLI::PositiveNumber);
  get_cmd->add_flag("--source", get->source, "print the YAML source as published");
  get_cmd->callback([options, get, &exit_code] {
    pb::GetWorkflowRequest request;
    request.set_name(WorkflowName(get->name, get->version));
    request.set_view(get->source ? pb::WORKFLOW_VIEW_FULL : pb::WORKFLOW_VIEW_BASIC);
    exit_code = InvokeUnary<pb::Workflows>(*options, request, &pb::Workflows::Stub::GetWorkflow,
                                           [source = get->source](const pb::Workflow& workflow) {
                                             if (SelectedOutput() == OutputFormat::kJson) {
                                               PrintJson(workflow, std::cout);
                                             } else if (source) {
                                               std::cout << workflow.source();
                                             } else {
                                               PrintWorkflowText(workflow);
                                             }
                                             return kExitOk;
                                           });
  });

  auto validate = std::make_shared<ValidateOptions>();
  CLI::App* validate_cmd = workflows->add_subcommand(
      "validate", "check YAML files as the server would load them, without publishing");
  validate_cmd->add_option("files", validate->files, "workflow YAML files")->required();
  validate_cmd->callback(
      [options, validate, &exit_code] { exit_code = Validate(*options, *validate); });

  auto graph = std::make_shared<GraphOptions>();
  CLI::App* graph_cmd =
      workflows->add_subcommand("graph", "a loaded workflow's (or a file's) state diagram");
  graph_cmd->add_option("name", graph->name, "workflow id or workflows/{id}[/versions/{n}]");
  graph_cmd->add_option("--version", graph->version)->check(CLI::PositiveNumber);
  graph_cmd->add_option("--file", graph->file,
                        "draw this YAML file instead, as the server reads it");
  graph_cmd->add_option("--format", graph->format, "dot (default) or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));
  graph_cmd->callback([options, graph, &exit_code] { exit_code = Graph(*options, *graph); });

  AddWorkflowChangeCommands(*workflows, options, exit_code);
}

const CommandRegistration kRegistration{"workflows", &AddWorkflowsCommands};

}  // namespace
}  // namespace claims::cli
