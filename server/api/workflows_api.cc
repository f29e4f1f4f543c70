#include "server/api/workflows_api.h"

#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api/proto_mapping.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/api/workflow_mapping.h"
#include "workflow/graph.h"

namespace claims::server {
namespace {

constexpr char kWorkflows[] = "workflows";
constexpr char kVersions[] = "versions";
// Diagnostics quoted in a RenderGraph refusal; the rest are one ValidateWorkflow call away.
constexpr std::size_t kMaxDiagnosticsQuoted = 20;

std::string FormatWorkflowName(const std::string& id) { return absl::StrCat(kWorkflows, "/", id); }
std::string FormatVersionName(const std::string& id, int64_t version) {
  return absl::StrCat(kWorkflows, "/", id, "/", kVersions, "/", version);
}

absl::Status NotFound(const std::string& name) {
  return WithErrorInfo(absl::NotFoundError(absl::StrCat(name, " not found")), "WORKFLOW_NOT_FOUND",
                       {{"name", name}});
}

void ToProto(const workflow::Diagnostic& diagnostic, v1::Diagnostic* out) {
  out->set_line(diagnostic.line);
  out->set_column(diagnostic.column);
  out->set_file(diagnostic.file);
  out->set_message(diagnostic.message);
}

}  // namespace

absl::StatusOr<WorkflowsApi::VersionName> WorkflowsApi::ParseName(const std::string& name,
                                                                  const char* field) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  VersionName out;
  const bool shape =
      (parts.size() == 2 || parts.size() == 4) && parts[0] == kWorkflows && !parts[1].empty() &&
      (parts.size() == 2 ||
       (parts[2] == kVersions && absl::SimpleAtoi(parts[3], &out.version) && out.version > 0));
  if (!shape) {
    return InvalidArgument(
        absl::StrCat("'", QuotePrefix(name), "' is not workflows/{workflow}[/versions/{version}]"),
        {{field, "must be workflows/{workflow} or workflows/{workflow}/versions/{version}"}});
  }
  out.workflow = parts[1];
  return out;
}

absl::StatusOr<std::pair<storage::WorkflowRecord, std::shared_ptr<const workflow::Engine>>>
WorkflowsApi::Find(const VersionName& name) {
  int64_t version = name.version;
  if (version == 0) {
    auto latest = workflows_.Latest(name.workflow);
    if (absl::IsNotFound(latest.status())) return NotFound(FormatWorkflowName(name.workflow));
    if (!latest.ok()) return latest.status();
    version = (*latest)->definition().version;
  }
  absl::StatusOr<storage::WorkflowRecord> record =
      workflows_.PublishedVersion(name.workflow, version);
  if (absl::IsNotFound(record.status())) return NotFound(FormatVersionName(name.workflow, version));
  if (!record.ok()) return record.status();
  auto engine = workflows_.Get(name.workflow, version);
  if (!engine.ok()) return engine.status();
  return std::make_pair(*std::move(record), *std::move(engine));
}

absl::StatusOr<v1::ListWorkflowsResponse> WorkflowsApi::ListWorkflows(
    const Caller&, const v1::ListWorkflowsRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<std::vector<storage::WorkflowRecord>> published = workflows_.Published();
  if (!published.ok()) return published.status();
  // Ascending by name and version: group, then list each group's versions newest first.
  std::map<std::string, std::vector<const storage::WorkflowRecord*>> by_name;
  for (const auto& record : *published) by_name[record.name].push_back(&record);
  v1::ListWorkflowsResponse out;
  for (const auto& [id, records] : by_name) {
    v1::WorkflowSummary* summary = out.add_workflows();
    summary->set_name(FormatWorkflowName(id));
    summary->set_id(id);
    summary->set_is_default(id == default_workflow_);
    if (auto latest = workflows_.Latest(id); latest.ok()) {
      summary->set_description((*latest)->definition().description);
    }
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      v1::WorkflowVersion* version = summary->add_versions();
      version->set_version((*it)->version);
      version->set_sha256((*it)->sha256_hex);
    }
  }
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowsApi::GetWorkflow(const Caller&,
                                                       const v1::GetWorkflowRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<VersionName> name = ParseName(req.name(), "name");
  if (!name.ok()) return name.status();
  auto found = Find(*name);
  if (!found.ok()) return found.status();
  const auto& [record, engine] = *found;
  v1::Workflow out;
  ToProto(engine->definition(), &out);
  out.set_name(FormatVersionName(record.name, record.version));
  out.set_sha256(record.sha256_hex);
  out.set_is_default(record.name == default_workflow_);
  if (record.create_time != absl::InfinitePast()) {
    ToProto(record.create_time, out.mutable_publish_time());
  }
  if (req.view() == v1::WORKFLOW_VIEW_FULL) out.set_source(record.source);
  return out;
}

absl::StatusOr<v1::ValidateWorkflowResponse> WorkflowsApi::ValidateWorkflow(
    const Caller&, const v1::ValidateWorkflowRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  if (req.source().empty()) {
    return InvalidArgument("source is empty", {{"source", "the YAML text to validate"}});
  }
  const std::string file_name = req.file_name().empty() ? "workflow.yaml" : req.file_name();
  workflow::LoadResult result = workflows_.Validate(req.source(), file_name);
  v1::ValidateWorkflowResponse out;
  out.set_valid(result.ok());
  for (const auto& diagnostic : result.diagnostics) ToProto(diagnostic, out.add_diagnostics());
  if (result.ok()) {
    out.set_id(result.definition->name);
    out.set_version(result.definition->version);
  }
  return out;
}

absl::StatusOr<v1::RenderGraphResponse> WorkflowsApi::RenderGraph(
    const Caller&, const v1::RenderGraphRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  if (req.format() != v1::GRAPH_FORMAT_DOT && req.format() != v1::GRAPH_FORMAT_MERMAID) {
    return InvalidArgument("format is required", {{"format", "GRAPH_FORMAT_DOT or _MERMAID"}});
  }
  std::shared_ptr<const workflow::Definition> definition;
  std::shared_ptr<const workflow::Engine> engine;
  switch (req.workflow_case()) {
    case v1::RenderGraphRequest::kName: {
      absl::StatusOr<VersionName> name = ParseName(req.name(), "name");
      if (!name.ok()) return name.status();
      auto found = Find(*name);
      if (!found.ok()) return found.status();
      engine = found->second;
      break;
    }
    case v1::RenderGraphRequest::kSource: {
      workflow::LoadResult result = workflows_.Validate(req.source(), "workflow.yaml");
      if (!result.ok()) {
        std::vector<workflow::FieldViolation> violations;
        for (const auto& diagnostic : result.diagnostics) {
          if (violations.size() == kMaxDiagnosticsQuoted) break;
          violations.push_back({"source", diagnostic.ToString()});
        }
        return InvalidArgument(
            absl::StrCat("source does not validate: ", result.diagnostics.size(), " problems"),
            violations, "INVALID_WORKFLOW");
      }
      definition = result.definition;
      break;
    }
    case v1::RenderGraphRequest::WORKFLOW_NOT_SET:
      return InvalidArgument("name or source is required",
                             {{"name", "a loaded workflow, or source: YAML text"}});
  }
  const workflow::Definition& def = engine ? engine->definition() : *definition;
  v1::RenderGraphResponse out;
  out.set_format(req.format());
  out.set_graph(req.format() == v1::GRAPH_FORMAT_DOT ? workflow::RenderDot(def)
                                                     : workflow::RenderMermaid(def));
  return out;
}

}  // namespace claims::server
