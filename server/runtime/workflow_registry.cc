#include "server/runtime/workflow_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/file_reading.h"
#include "workflow/loader.h"
#include "workflow/version_change.h"

namespace claims::server {
namespace {

// Workflow files and their includes are small: each is read within the loader's limit, its
// size checked before anything is read, so a huge file in the directory costs no memory.
absl::StatusOr<std::string> ReadWorkflowFile(const std::filesystem::path& path) {
  return config::ReadFileWithin(path.string(), workflow::LoadLimits{}.max_bytes);
}

}  // namespace

workflow::LoadResult WorkflowRegistry::LoadText(std::string_view source, std::string_view file_name,
                                                const std::string& directory,
                                                std::vector<std::string>* unreadable) {
  const std::filesystem::path base(directory);
  return workflow::LoadDefinition(
      source, file_name,
      [&base, unreadable](std::string_view include) -> std::optional<std::string> {
        absl::StatusOr<std::string> text = ReadWorkflowFile(base / std::string(include));
        if (!text.ok()) {
          // A missing include is reported by the loader, at its position.
          if (text.status().code() != absl::StatusCode::kNotFound && unreadable != nullptr) {
            unreadable->emplace_back(text.status().message());
          }
          return std::nullopt;
        }
        return *std::move(text);
      });
}

absl::StatusOr<std::shared_ptr<const workflow::Engine>> WorkflowRegistry::Compile(
    const std::string& source, const std::string& file_name, const std::string& directory) {
  std::vector<std::string> unreadable;  // why includes could not be read
  workflow::LoadResult result = LoadText(source, file_name, directory, &unreadable);
  if (!result.ok()) {
    std::vector<std::string> lines;
    for (const auto& diagnostic : result.diagnostics) lines.push_back(diagnostic.ToString());
    lines.insert(lines.end(), unreadable.begin(), unreadable.end());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return std::make_shared<const workflow::Engine>(result.definition);
}

absl::Status WorkflowRegistry::LoadDirectory(const std::string& directory) {
  return LoadDirectory(directory, nullptr);
}

absl::Status WorkflowRegistry::LoadDirectory(const std::string& directory,
                                             std::vector<CalendarChange>* calendar_changes) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read workflows directory ", directory, ": ", ec.message()));
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no workflow files in ", directory));
  }
  std::sort(files.begin(), files.end());

  // Validate everything before publishing anything, so one bad file replaces nothing.
  std::vector<std::pair<storage::WorkflowRecord, std::shared_ptr<const workflow::Engine>>> loaded;
  std::vector<std::string> problems;
  for (const auto& file : files) {
    absl::StatusOr<std::string> source = ReadWorkflowFile(file);
    if (!source.ok()) {
      problems.emplace_back(source.status().message());
      continue;
    }
    auto engine = Compile(*source, file.string(), directory);
    if (!engine.ok()) {
      problems.emplace_back(engine.status().message());
      continue;
    }
    const workflow::Definition& definition = (*engine)->definition();
    storage::WorkflowRecord record;
    record.name = definition.name;
    record.version = definition.version;
    record.source = *source;
    record.sha256_hex = Sha256Hex(*source);
    loaded.emplace_back(std::move(record), *std::move(engine));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));

  for (const auto& [record, engine] : loaded) {
    if (absl::Status status = repository_.SaveWorkflow(record); !status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("publishing workflow ", record.name, " version ",
                                       record.version, ": ", status.message()));
    }
  }
  using Key = std::pair<std::string, int64_t>;
  std::map<Key, std::shared_ptr<const workflow::Engine>> fresh;
  for (auto& [record, engine] : loaded) fresh[{record.name, record.version}] = engine;
  std::map<Key, std::shared_ptr<const workflow::Engine>> before;
  {
    std::lock_guard lock(mu_);
    before = engines_;
  }
  // Engines loaded back from the repository resolved their calendars against the directory
  // when they were compiled: compiled again, they see what the directory holds now.
  for (const auto& [key, engine] : before) {
    if (fresh.count(key) > 0) continue;
    absl::StatusOr<storage::WorkflowRecord> record = repository_.GetWorkflow(key.first, key.second);
    absl::StatusOr<std::shared_ptr<const workflow::Engine>> recompiled =
        record.ok() ? Compile(record->source, absl::StrCat(key.first, "@", key.second), directory)
                    : absl::StatusOr<std::shared_ptr<const workflow::Engine>>(record.status());
    if (!recompiled.ok()) {
      spdlog::warn("workflow {} version {} keeps the calendars it was compiled with: {}", key.first,
                   key.second, recompiled.status().ToString());
      continue;
    }
    fresh[key] = *std::move(recompiled);
  }
  if (calendar_changes != nullptr) {
    calendar_changes->clear();
    for (const auto& [key, engine] : fresh) {
      auto old = before.find(key);
      if (old == before.end()) continue;
      workflow::DefinitionDiff diff =
          workflow::DiffDefinitions(old->second->definition(), engine->definition());
      if (diff.calendars.empty()) continue;
      CalendarChange change{key.first, key.second, {}};
      for (const workflow::ElementChange& c : diff.calendars) change.calendars.push_back(c.id);
      calendar_changes->push_back(std::move(change));
    }
  }
  std::lock_guard lock(mu_);
  directory_ = directory;
  for (auto& [key, engine] : fresh) engines_[key] = engine;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const workflow::Engine>> WorkflowRegistry::Get(std::string_view name,
                                                                              int64_t version) {
  std::string directory;
  {
    std::lock_guard lock(mu_);
    auto it = engines_.find({std::string(name), version});
    if (it != engines_.end()) return it->second;
    directory = directory_;
  }
  absl::StatusOr<storage::WorkflowRecord> record = repository_.GetWorkflow(name, version);
  if (!record.ok()) return record.status();
  auto engine =
      Compile(record->source, absl::StrCat(record->name, "@", record->version), directory);
  if (!engine.ok()) return engine.status();
  std::lock_guard lock(mu_);
  return engines_.try_emplace({std::string(name), version}, *engine).first->second;
}

absl::StatusOr<std::vector<storage::WorkflowRecord>> WorkflowRegistry::Published() {
  absl::StatusOr<std::vector<storage::WorkflowRecord>> records = repository_.ListWorkflows();
  if (!records.ok()) return records.status();
  std::sort(records->begin(), records->end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.version) < std::tie(b.name, b.version);
  });
  return records;
}

absl::StatusOr<storage::WorkflowRecord> WorkflowRegistry::PublishedVersion(std::string_view name,
                                                                           int64_t version) {
  return repository_.GetWorkflow(name, version);
}

workflow::LoadResult WorkflowRegistry::Validate(std::string_view source,
                                                std::string_view file_name) {
  std::string directory;
  {
    std::lock_guard lock(mu_);
    directory = directory_;
  }
  return LoadText(source, file_name, directory, nullptr);
}

absl::StatusOr<std::shared_ptr<const workflow::Engine>> WorkflowRegistry::Latest(
    std::string_view name) {
  std::lock_guard lock(mu_);
  std::shared_ptr<const workflow::Engine> latest;
  for (const auto& [key, engine] : engines_) {
    if (key.first == name) latest = engine;  // the map orders versions ascending
  }
  if (!latest) {
    return absl::NotFoundError(absl::StrCat("no workflow named '", std::string(name), "'"));
  }
  return latest;
}

}  // namespace claims::server
