// claimsctl workflows diff|migrate|recompute-deadlines: what a new workflow version changes,
// and what it or a changed calendar does to the running claims (DiffWorkflowVersions,
// MigrateClaims, RecomputeDeadlines). The paged calls are repeated here until the server says
// it is done, so a person runs one command.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "claims/v1/workflow_service.grpc.pb.h"
#include "cli/client_connection.h"
#include "cli/input_files.h"
#include "cli/output.h"
#include "cli/workflows_commands.h"
#include "workflow/business_calendar.h"
#include "workflow/loader.h"
#include "workflow/weekday_names.h"

namespace claims::cli {
namespace {

namespace pb = ::claims::v1;

// A migration that makes no headway for this many calls in a row stops: the claims left are
// being changed faster than they can be moved, and a later run picks them up.
constexpr int kMaxCallsWithoutProgress = 3;
// Moves are counted in business days over at most this many days; longer ones read in hours.
constexpr int kMaxDaysCounted = 3660;

// One side of a diff as the command line gives it: a published version or a file.
struct VersionRef {
  std::string name;  // workflows/{id}/versions/{n}; empty for a file
  std::string file;
  std::string source;
};

// NAME@VERSION or workflows/NAME/versions/N, else a file. A file that exists wins, so a file
// whose name looks like a version still reads as the file.
std::optional<VersionRef> ParseVersionRef(const std::string& given) {
  VersionRef ref;
  std::error_code error;
  if (!std::filesystem::exists(given, error)) {
    const std::vector<std::string> at = absl::StrSplit(given, '@');
    int64_t version = 0;
    if (at.size() == 2 && !at[0].empty() && absl::SimpleAtoi(at[1], &version) && version > 0) {
      ref.name = WorkflowName(at[0], version);
      return ref;
    }
    const std::vector<std::string> parts = absl::StrSplit(given, '/');
    if (parts.size() == 4 && parts[0] == "workflows" && parts[2] == "versions") {
      ref.name = given;
      return ref;
    }
  }
  std::optional<std::string> text = ReadInputFile(given);
  if (!text.has_value()) return std::nullopt;
  ref.file = given;
  ref.source = *std::move(text);
  return ref;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

// How far a deadline moved, in the unit people count it in: business days for a business-day
// timer whose deadlines both fall at the end of a day (as Add makes them), else hours.
class DeadlineShifts {
 public:
  static DeadlineShifts FromDefinition(const workflow::Definition& definition) {
    DeadlineShifts shifts;
    for (const workflow::TimerDef& timer : definition.timers) {
      const workflow::CalendarDef* calendar = definition.FindCalendar(timer.calendar);
      if (calendar == nullptr && !definition.calendars.empty()) {
        calendar = &definition.calendars.front();
      }
      if (timer.duration.unit != workflow::DurationUnit::kBusinessDays || calendar == nullptr) {
        continue;
      }
      shifts.business_.emplace(timer.id,
                               std::make_shared<workflow::BusinessCalendar>(calendar->calendar));
    }
    return shifts;
  }

  static DeadlineShifts FromWorkflow(const pb::Workflow& workflow) {
    std::map<std::string, std::shared_ptr<const workflow::BusinessCalendar>> calendars;
    for (const pb::WorkflowCalendar& calendar : workflow.calendars()) {
      absl::TimeZone zone;
      if (!absl::LoadTimeZone(calendar.time_zone(), &zone)) continue;
      std::set<absl::Weekday> weekend;
      for (const std::string& day : calendar.weekend()) {
        if (auto weekday = workflow::WeekdayFromName(day)) weekend.insert(*weekday);
      }
      std::set<absl::CivilDay> holidays;
      for (const std::string& date : calendar.holidays()) {
        absl::CivilDay day;
        if (absl::ParseCivilTime(date, &day)) holidays.insert(day);
      }
      calendars.emplace(calendar.id(), std::make_shared<workflow::BusinessCalendar>(
                                           calendar.id(), calendar.time_zone(), zone,
                                           std::move(weekend), std::move(holidays)));
    }
    DeadlineShifts shifts;
    for (const pb::WorkflowTimer& timer : workflow.timers()) {
      // The duration as the definition displays it: "5 business days".
      if (timer.duration().find("business") == std::string::npos) continue;
      auto it = calendars.find(timer.calendar());
      if (it == calendars.end() && workflow.calendars_size() > 0) {
        it = calendars.find(workflow.calendars(0).id());
      }
      if (it != calendars.end()) shifts.business_.emplace(timer.id(), it->second);
    }
    return shifts;
  }

  // "+2 business days", "-1 business day", "+48h".
  std::string Describe(const std::string& timer, absl::Time before, absl::Time after) const {
    auto it = business_.find(timer);
    if (it != business_.end()) {
      const workflow::BusinessCalendar& calendar = *it->second;
      const absl::CivilDay from = calendar.LocalDay(before);
      const absl::CivilDay to = calendar.LocalDay(after);
      const bool day_ends = calendar.StartOfDay(from) == before && calendar.StartOfDay(to) == after;
      if (day_ends && std::abs(to - from) <= kMaxDaysCounted) {
        int64_t count = 0;
        for (absl::CivilDay day = std::min(from, to); day < std::max(from, to); ++day) {
          if (calendar.IsBusinessDay(day)) ++count;
        }
        const bool later = to > from;
        return absl::StrCat(later ? "+" : "-", count,
                            count == 1 ? " business day" : " business days");
      }
    }
    const absl::Duration shift = after - before;
    return absl::StrCat(shift > absl::ZeroDuration() ? "+" : "", absl::FormatDuration(shift));
  }

 private:
  std::map<std::string, std::shared_ptr<const workflow::BusinessCalendar>> business_;
};

std::string TimerStateWord(pb::Timer::State state) {
  switch (state) {
    case pb::Timer::ARMED:
      return "armed";
    case pb::Timer::PAUSED:
      return "paused";
    case pb::Timer::BREACHED:
      return "breached";
    case pb::Timer::FIRED:
      return "fired";
    case pb::Timer::CANCELLED:
      return "cancelled";
    default:
      return "none";
  }
}

// "review_decision: due 2026-03-09T08:00:00Z -> 2026-03-10T08:00:00Z (+1 business day)".
std::string MoveText(const pb::DeadlineMove& move, const DeadlineShifts& shifts) {
  const bool before_due = move.has_due_before();
  const bool after_due = move.has_due_after();
  std::string text = move.timer() + ": ";
  if (before_due && after_due) {
    return text + "due " + FormatTime(move.due_before()) + " -> " + FormatTime(move.due_after()) +
           " (" +
           shifts.Describe(move.timer(), FromTimestamp(move.due_before()),
                           FromTimestamp(move.due_after())) +
           ")";
  }
  auto side = [](pb::Timer::State state, bool due, const google::protobuf::Timestamp& time,
                 int64_t remaining_seconds) {
    if (due) return "due " + FormatTime(time);
    if (state == pb::Timer::PAUSED) {
      return "paused, " + absl::FormatDuration(absl::Seconds(remaining_seconds)) + " left";
    }
    return TimerStateWord(state);
  };
  return text +
         side(move.state_before(), before_due, move.due_before(), move.remaining_before_seconds()) +
         " -> " +
         side(move.state_after(), after_due, move.due_after(), move.remaining_after_seconds());
}

// `with_new_state`: the state the claim takes in another version (a diff or a migration).
void PrintClaimImpact(const pb::ClaimImpact& claim, const DeadlineShifts& shifts,
                      bool with_new_state = true) {
  std::cout << "  " << claim.claim() << "  " << claim.partner_id() << "  " << claim.state();
  if (claim.stranded()) {
    std::cout << " -> STRANDED";
  } else if (with_new_state && !claim.new_state().empty()) {
    std::cout << " -> " << claim.new_state();
  }
  std::cout << "\n";
  for (const pb::DeadlineMove& move : claim.deadline_moves()) {
    std::cout << "      " << MoveText(move, shifts) << "\n";
  }
}

const char* ChangeMark(pb::ChangeKind kind) {
  switch (kind) {
    case pb::CHANGE_KIND_ADDED:
      return "+";
    case pb::CHANGE_KIND_REMOVED:
      return "-";
    default:
      return "~";
  }
}

void PrintChanges(const std::string& title,
                  const google::protobuf::RepeatedPtrField<pb::ElementChange>& changes) {
  std::cout << title << ":\n";
  if (changes.empty()) std::cout << "  (no change)\n";
  for (const pb::ElementChange& change : changes) {
    std::cout << "  " << ChangeMark(change.kind()) << " " << change.id() << "\n";
    for (const std::string& detail : change.details()) std::cout << "      " << detail << "\n";
  }
}

// The server names a source by its request field; people edit the path they gave.
std::string DiagnosticText(const pb::Diagnostic& diagnostic, const VersionRef& after) {
  std::string file = diagnostic.file();
  if (!after.file.empty() && (file.empty() || file == "after_source")) file = after.file;
  return file + ":" + std::to_string(diagnostic.line()) + ":" +
         std::to_string(diagnostic.column()) + ": " + diagnostic.message();
}

void PrintDiff(const pb::DiffWorkflowVersionsResponse& response, const VersionRef& after) {
  const pb::DefinitionDiff& diff = response.diff();
  std::cout << "workflows/" << diff.workflow_id() << ": version " << diff.before_version() << " -> "
            << diff.after_version() << "\n\n";
  PrintChanges("states", diff.states());
  PrintChanges("transitions", diff.transitions());
  PrintChanges("timers", diff.timers());
  PrintChanges("calendars", diff.calendars());
  std::cout << "actions per state and role:\n";
  if (diff.actions().empty()) std::cout << "  (no change)\n";
  for (const pb::ActionAvailabilityChange& action : diff.actions()) {
    std::cout << "  " << (action.available_after() ? "+" : "-") << " " << action.state() << " / "
              << action.role() << ": " << action.action() << "\n";
  }
  if (response.migration_declared()) {
    if (response.migration_problems().empty()) {
      std::cout << "migration: declared; it places every state of version " << diff.before_version()
                << "\n";
    } else {
      std::cout << "migration: declared, with " << response.migration_problems_size()
                << " problems:\n";
      for (const pb::Diagnostic& problem : response.migration_problems()) {
        std::cout << "  " << DiagnosticText(problem, after) << "\n";
      }
    }
  }
}

// The definition of the new side, for reading deadline moves in its units: the file loaded
// here as `validate` does, or the published version from the server.
DeadlineShifts ShiftsOf(const ClientOptions& options, const VersionRef& ref) {
  if (!ref.file.empty()) {
    workflow::LoadResult result =
        workflow::LoadDefinition(ref.source, ref.file, IncludesRelativeTo(ref.file));
    if (result.ok()) return DeadlineShifts::FromDefinition(*result.definition);
    return DeadlineShifts();
  }
  // Units are only how a move reads: when the workflow cannot be read, moves read in hours.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) return DeadlineShifts();
  auto stub = pb::Workflows::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(CallDeadline(options));
  AddIdentity(options, context);
  pb::GetWorkflowRequest request;
  request.set_name(ref.name);
  pb::Workflow workflow;
  if (!stub->GetWorkflow(&context, request, &workflow).ok()) return DeadlineShifts();
  return DeadlineShifts::FromWorkflow(workflow);
}

struct DiffOptions {
  std::string before;
  std::string after;
  bool against_live = false;
  int page_size = 0;
};

int Diff(const ClientOptions& options, const DiffOptions& diff) {
  std::optional<VersionRef> before = ParseVersionRef(diff.before);
  std::optional<VersionRef> after = ParseVersionRef(diff.after);
  if (!before.has_value() || !after.has_value()) return kExitUsage;
  pb::DiffWorkflowVersionsRequest request;
  if (before->name.empty()) {
    request.set_before_source(before->source);
  } else {
    request.set_before_name(before->name);
  }
  if (after->name.empty()) {
    request.set_after_source(after->source);
  } else {
    request.set_after_name(after->name);
  }
  request.set_against_live(diff.against_live);
  request.set_page_size(diff.page_size);

  // Every page into one answer: the first page's diff, every page's claims and counts.
  pb::DiffWorkflowVersionsResponse all;
  bool first = true;
  for (;;) {
    pb::DiffWorkflowVersionsResponse page;
    const int call_exit =
        InvokeUnary<pb::Workflows>(options, request, &pb::Workflows::Stub::DiffWorkflowVersions,
                                   [&](const pb::DiffWorkflowVersionsResponse& response) {
                                     page = response;
                                     return kExitOk;
                                   });
    if (call_exit != kExitOk) return call_exit;
    if (first) {
      all = page;
      first = false;
    } else {
      pb::LiveImpact* live = all.mutable_live();
      live->set_claims_examined(live->claims_examined() + page.live().claims_examined());
      live->set_claims_stranded(live->claims_stranded() + page.live().claims_stranded());
      live->set_claims_with_moved_deadlines(live->claims_with_moved_deadlines() +
                                            page.live().claims_with_moved_deadlines());
      for (const pb::ClaimImpact& claim : page.live().claims()) *live->add_claims() = claim;
    }
    if (!diff.against_live || page.live().next_page_token().empty()) break;
    request.set_page_token(page.live().next_page_token());
  }
  if (all.has_live()) all.mutable_live()->clear_next_page_token();

  if (SelectedOutput() == OutputFormat::kJson) {
    PrintJson(all, std::cout);
    return kExitOk;
  }
  PrintDiff(all, *after);
  if (diff.against_live) {
    const DeadlineShifts shifts = ShiftsOf(options, *after);
    const pb::LiveImpact& live = all.live();
    std::cout << "\nrunning claims of version " << all.diff().before_version() << ":\n";
    if (live.claims().empty()) std::cout << "  (none stranded, no deadline moves)\n";
    for (const pb::ClaimImpact& claim : live.claims()) PrintClaimImpact(claim, shifts);
    std::cout << live.claims_examined() << " claims examined, " << live.claims_stranded()
              << " stranded, " << live.claims_with_moved_deadlines() << " with moved deadlines\n";
  }
  return kExitOk;
}

struct MigrateOptions {
  std::string name;
  int64_t to_version = 0;
  bool dry_run = false;
  int page_size = 0;
};

int Migrate(const ClientOptions& options, const MigrateOptions& migrate) {
  pb::MigrateClaimsRequest request;
  request.set_name(WorkflowName(migrate.name, migrate.to_version));
  request.set_validate_only(migrate.dry_run);
  request.set_page_size(migrate.page_size);
  const bool json = SelectedOutput() == OutputFormat::kJson;
  VersionRef target;
  target.name = request.name();
  std::optional<DeadlineShifts> shifts;

  pb::MigrateClaimsResponse all;
  int calls = 0;
  int without_progress = 0;
  for (;;) {
    pb::MigrateClaimsResponse page;
    const int call_exit =
        InvokeUnary<pb::Workflows>(options, request, &pb::Workflows::Stub::MigrateClaims,
                                   [&](const pb::MigrateClaimsResponse& response) {
                                     page = response;
                                     return kExitOk;
                                   });
    if (call_exit != kExitOk) return call_exit;
    ++calls;
    all.set_from_version(page.from_version());
    all.set_to_version(page.to_version());
    all.set_claims_migrated(all.claims_migrated() + page.claims_migrated());
    all.set_claims_skipped(all.claims_skipped() + page.claims_skipped());
    all.set_remaining_claims(page.remaining_claims());
    for (const pb::ClaimImpact& claim : page.claims()) *all.add_claims() = claim;
    if (!json) {
      if (!shifts.has_value()) shifts = ShiftsOf(options, target);
      if (migrate.dry_run) {
        std::cout << "dry run: " << page.remaining_claims() << " running claims of version "
                  << page.from_version() << " would move to version " << page.to_version()
                  << "; the first " << page.claims_size() << ":\n";
      } else {
        std::cout << "call " << calls << ": migrated " << page.claims_migrated() << ", skipped "
                  << page.claims_skipped() << ", " << page.remaining_claims() << " remaining\n";
      }
      for (const pb::ClaimImpact& claim : page.claims()) PrintClaimImpact(claim, *shifts);
    }
    if (migrate.dry_run || page.remaining_claims() == 0) break;
    without_progress = page.claims_migrated() > 0 ? 0 : without_progress + 1;
    if (without_progress == kMaxCallsWithoutProgress) {
      std::cerr << "error: " << kMaxCallsWithoutProgress << " calls in a row migrated nothing; "
                << page.remaining_claims() << " claims remain on version " << page.from_version()
                << " (changed by others meanwhile): run the command again\n";
      if (json) PrintJson(all, std::cout);
      return kExitFailure;
    }
  }
  if (json) {
    PrintJson(all, std::cout);
  } else if (!migrate.dry_run) {
    std::cout << "migrated " << all.claims_migrated() << " claims from version "
              << all.from_version() << " to version " << all.to_version() << " in " << calls
              << (calls == 1 ? " call" : " calls") << " (" << all.claims_skipped()
              << " skipped as changed by another caller)\n";
  }
  return kExitOk;
}

struct RecomputeOptions {
  std::string name;
  int64_t version = 0;
  bool dry_run = false;
  int page_size = 0;
};

int Recompute(const ClientOptions& options, const RecomputeOptions& recompute) {
  pb::RecomputeDeadlinesRequest request;
  request.set_name(WorkflowName(recompute.name, recompute.version));
  request.set_dry_run(recompute.dry_run);
  request.set_page_size(recompute.page_size);
  const bool json = SelectedOutput() == OutputFormat::kJson;
  VersionRef version;
  version.name = request.name();
  std::optional<DeadlineShifts> shifts;

  pb::RecomputeDeadlinesResponse all;
  for (;;) {
    pb::RecomputeDeadlinesResponse page;
    const int call_exit =
        InvokeUnary<pb::Workflows>(options, request, &pb::Workflows::Stub::RecomputeDeadlines,
                                   [&](const pb::RecomputeDeadlinesResponse& response) {
                                     page = response;
                                     return kExitOk;
                                   });
    if (call_exit != kExitOk) return call_exit;
    all.set_claims_examined(all.claims_examined() + page.claims_examined());
    all.set_claims_changed(all.claims_changed() + page.claims_changed());
    all.set_claims_skipped(all.claims_skipped() + page.claims_skipped());
    for (const pb::ClaimImpact& claim : page.claims()) *all.add_claims() = claim;
    if (!json) {
      if (!shifts.has_value()) shifts = ShiftsOf(options, version);
      for (const pb::ClaimImpact& claim : page.claims()) {
        PrintClaimImpact(claim, *shifts, /*with_new_state=*/false);
      }
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (json) {
    PrintJson(all, std::cout);
  } else {
    std::cout << (recompute.dry_run ? "dry run: " : "") << all.claims_examined()
              << " claims examined, " << all.claims_changed()
              << (recompute.dry_run ? " would change" : " changed") << ", " << all.claims_skipped()
              << " skipped as changed by another caller\n";
  }
  return kExitOk;
}

}  // namespace

void AddWorkflowChangeCommands(CLI::App& workflows, std::shared_ptr<ClientOptions> options,
                               int& exit_code) {
  auto diff = std::make_shared<DiffOptions>();
  CLI::App* diff_cmd = workflows.add_subcommand(
      "diff", "what a new version changes; with --against-live, what it does to running claims");
  diff_cmd
      ->add_option("old", diff->before, "a YAML file, NAME@VERSION or workflows/NAME/versions/N")
      ->required();
  diff_cmd->add_option("new", diff->after, "a YAML file, NAME@VERSION or workflows/NAME/versions/N")
      ->required();
  diff_cmd->add_flag("--against-live", diff->against_live,
                     "also the running claims of OLD: stranded ones and moved deadlines "
                     "(reviewers only)");
  diff_cmd->add_option("--page-size", diff->page_size, "claims examined per call (1-1000)")
      ->check(CLI::Range(1, 1000));
  diff_cmd->callback([options, diff, &exit_code] { exit_code = Diff(*options, *diff); });

  auto migrate = std::make_shared<MigrateOptions>();
  CLI::App* migrate_cmd = workflows.add_subcommand(
      "migrate", "move the running claims of the version --to-version migrates from onto it");
  migrate_cmd->add_option("name", migrate->name, "workflow id or workflows/{id}")->required();
  migrate_cmd->add_option("--to-version", migrate->to_version, "the version to migrate to")
      ->required()
      ->check(CLI::PositiveNumber);
  migrate_cmd->add_flag("--dry-run", migrate->dry_run,
                        "check every running claim and show what would move; change nothing");
  migrate_cmd->add_option("--page-size", migrate->page_size, "claims migrated per call (1-1000)")
      ->check(CLI::Range(1, 1000));
  migrate_cmd->callback(
      [options, migrate, &exit_code] { exit_code = Migrate(*options, *migrate); });

  auto recompute = std::make_shared<RecomputeOptions>();
  CLI::App* recompute_cmd = workflows.add_subcommand(
      "recompute-deadlines",
      "move the running deadlines of a version to the calendars loaded now (after a holiday "
      "was added or removed)");
  recompute_cmd->add_option("name", recompute->name, "workflow id or workflows/{id}")->required();
  recompute_cmd
      ->add_option("--version", recompute->version, "the version whose claims to recompute")
      ->required()
      ->check(CLI::PositiveNumber);
  recompute_cmd->add_flag("--dry-run", recompute->dry_run, "show what would move; change nothing");
  recompute_cmd
      ->add_option("--page-size", recompute->page_size, "claims examined per call (1-1000)")
      ->check(CLI::Range(1, 1000));
  recompute_cmd->callback(
      [options, recompute, &exit_code] { exit_code = Recompute(*options, *recompute); });
}

}  // namespace claims::cli
