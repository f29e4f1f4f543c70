#include "cli/claim_text.h"

#include <map>
#include <ostream>
#include <vector>

#include "cli/output.h"

namespace claims::cli {
namespace {

std::string Perspective(v1::Perspective perspective) {
  switch (perspective) {
    case v1::PERSPECTIVE_PARTNER:
      return "partner";
    case v1::PERSPECTIVE_REVIEWER:
      return "reviewer";
    case v1::PERSPECTIVE_CUSTOMER:
      return "customer";
    case v1::PERSPECTIVE_SYSTEM:
      return "system";
    default:
      return "-";
  }
}

std::string Sla(v1::SlaStatus status) {
  switch (status) {
    case v1::SLA_STATUS_ON_TRACK:
      return "on track";
    case v1::SLA_STATUS_AT_RISK:
      return "at risk";
    case v1::SLA_STATUS_BREACHED:
      return "breached";
    default:
      return "-";
  }
}

std::string TimerState(v1::Timer::State state) {
  switch (state) {
    case v1::Timer::ARMED:
      return "armed";
    case v1::Timer::PAUSED:
      return "paused";
    case v1::Timer::BREACHED:
      return "breached";
    case v1::Timer::FIRED:
      return "fired";
    case v1::Timer::CANCELLED:
      return "cancelled";
    default:
      return "-";
  }
}

std::string HistoryKind(v1::HistoryEntry::Kind kind) {
  switch (kind) {
    case v1::HistoryEntry::CREATED:
      return "created";
    case v1::HistoryEntry::ACTION:
      return "action";
    case v1::HistoryEntry::EDIT:
      return "edit";
    case v1::HistoryEntry::COMMENT:
      return "comment";
    case v1::HistoryEntry::EVIDENCE:
      return "evidence";
    case v1::HistoryEntry::TIMER:
      return "timer";
    case v1::HistoryEntry::MIGRATION:
      return "migration";
    case v1::HistoryEntry::DEADLINE_CHANGE:
      return "deadline change";
    default:
      return "-";
  }
}

std::string Requirement(v1::Requirement requirement) {
  switch (requirement) {
    case v1::REQUIREMENT_OPTIONAL:
      return "optional";
    case v1::REQUIREMENT_REQUIRED:
      return "required";
    case v1::REQUIREMENT_FORBIDDEN:
      return "not allowed";
    default:
      return "-";
  }
}

// "end of Thu 24 Dec 2026, America/Los_Angeles (2026-12-25T08:00:00Z)": the words people act
// on, and the instant a program compares.
std::string Deadline(const std::string& display, const google::protobuf::Timestamp& due) {
  if (due.seconds() == 0 && due.nanos() == 0) return "-";
  if (display.empty()) return FormatTime(due);
  return display + " (" + FormatTime(due) + ")";
}

template <typename Repeated>
std::vector<std::string> Strings(const Repeated& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

void PrintActionInputs(const v1::ActionInputs& inputs, std::ostream& out) {
  if (inputs.has_reasons()) {
    const v1::ReasonInput& reasons = inputs.reasons();
    out << "      reasons: " << reasons.min() << " to " << reasons.max() << " from "
        << reasons.catalog() << "\n";
    for (const v1::CatalogEntry& choice : reasons.choices()) {
      out << "        " << choice.id() << "  " << choice.display_name() << "\n";
    }
  }
  // Optional is what an action takes unless it says otherwise: only the rules are listed.
  auto rule = [](v1::Requirement requirement) {
    return requirement == v1::REQUIREMENT_REQUIRED || requirement == v1::REQUIREMENT_FORBIDDEN;
  };
  if (rule(inputs.comment())) out << "      comment: " << Requirement(inputs.comment()) << "\n";
  if (rule(inputs.new_evidence())) {
    out << "      new evidence: " << Requirement(inputs.new_evidence()) << "\n";
  }
  if (inputs.comment_or_new_evidence()) out << "      a comment or new evidence: required\n";
}

}  // namespace

void PrintClaimText(const v1::Claim& claim, std::ostream& out) {
  out << "name:          " << claim.name() << "\n"
      << "state:         " << claim.state() << " since " << FormatTime(claim.state_enter_time())
      << "\n"
      << "sla:           " << Sla(claim.sla_status()) << "\n"
      << "next deadline: " << Deadline(claim.next_deadline_display(), claim.next_deadline()) << "\n"
      << "workflow:      " << claim.workflow() << " v" << claim.workflow_version() << "\n"
      << "mpn:           " << claim.mpn_id() << "\n"
      << "customer:      " << claim.customer().name() << " (" << claim.customer().tenant_id()
      << ")\n"
      << "products:      " << JoinOrDash(Strings(claim.products())) << "\n"
      << "activity:      " << claim.activity() << "\n"
      << "evidence:      " << claim.evidence_count() << "\n"
      << "creator:       " << claim.creator() << "\n"
      << "created:       " << FormatTime(claim.create_time()) << "\n"
      << "updated:       " << FormatTime(claim.update_time()) << "\n"
      << "etag:          " << claim.etag() << "\n";
  if (claim.timers_size() > 0) {
    out << "\ntimers:\n";
    Table timers({"TIMER", "STATE", "DUE"}, 120);
    for (const v1::Timer& timer : claim.timers()) {
      std::string due = Deadline(timer.due_display(), timer.due_time());
      if (timer.state() == v1::Timer::PAUSED) {
        due = std::to_string(timer.remaining_seconds()) + "s left when it resumes";
      }
      timers.AddRow({timer.name(), TimerState(timer.state()), due});
    }
    timers.Print(out);
  }
  out << "\nactions:       " << JoinOrDash(Strings(claim.available_actions())) << "\n";
  for (const v1::AvailableAction& action : claim.actions()) {
    out << "  " << action.id() << " (" << action.display_name() << ") -> " << action.to_state()
        << "\n";
    PrintActionInputs(action.inputs(), out);
  }
}

void PrintClaimListText(const v1::ListClaimsResponse& list, std::ostream& out) {
  Table table({"NAME", "STATE", "SLA", "NEXT DEADLINE", "CUSTOMER", "UPDATED"}, 80);
  for (const v1::Claim& claim : list.claims()) {
    table.AddRow({claim.name(), claim.state(), Sla(claim.sla_status()),
                  claim.next_deadline_display().empty() ? FormatTime(claim.next_deadline())
                                                        : claim.next_deadline_display(),
                  claim.customer().name(), FormatTime(claim.update_time())});
  }
  table.Print(out);
  if (!list.next_page_token().empty()) {
    out << "\nmore: --page-token " << list.next_page_token() << "\n";
  }
}

void PrintHistoryText(const v1::ClaimHistory& history, std::ostream& out) {
  const v1::Claim& claim = history.claim();
  out << claim.name() << ": " << claim.state() << ", sla " << Sla(claim.sla_status())
      << ", next deadline " << Deadline(claim.next_deadline_display(), claim.next_deadline())
      << "\n\nhistory:\n";
  Table entries({"SEQ", "TIME", "KIND", "WHAT", "ACTOR", "STATE", "REASONS", "COMMENT"});
  for (const v1::HistoryEntry& entry : history.entries()) {
    // A move reads as one; an entry that left the state as it was names only the state.
    std::string states = entry.to_state();
    if (!entry.from_state().empty() && entry.from_state() != entry.to_state()) {
      states = entry.from_state() + " -> " + entry.to_state();
    }
    std::string comment = entry.comment();
    for (const auto& change : entry.changes()) {
      if (!comment.empty()) comment += "; ";
      comment += change.field() + ": " + change.before() + " -> " + change.after();
    }
    entries.AddRow({std::to_string(entry.sequence()), FormatTime(entry.time()),
                    HistoryKind(entry.kind()), entry.name(),
                    entry.actor() + " (" + Perspective(entry.perspective()) + ")", states,
                    JoinOrDash(Strings(entry.reasons())), comment});
  }
  entries.Print(out);
  if (history.comments_size() > 0) {
    out << "\ncomments:\n";
    Table comments({"TIME", "AUTHOR", "VISIBILITY", "TEXT"}, 80);
    for (const v1::Comment& comment : history.comments()) {
      comments.AddRow({FormatTime(comment.create_time()), comment.author(),
                       comment.visibility() == v1::Comment::INTERNAL ? "internal" : "public",
                       comment.text()});
    }
    comments.Print(out);
  }
  if (history.evidence_size() > 0) {
    out << "\nevidence:\n";
    // Whole names: they are what `evidence get` and downloads take.
    Table evidence({"NAME", "FILE", "TYPE", "BYTES", "UPLOADED", "BY"}, 160);
    for (const v1::Evidence& item : history.evidence()) {
      evidence.AddRow({item.name(), item.file_name(), item.content_type(),
                       std::to_string(item.size_bytes()), FormatTime(item.upload_time()),
                       item.uploader()});
    }
    evidence.Print(out);
  }
}

void PrintCommentText(const v1::Comment& comment, std::ostream& out) {
  out << comment.name() << " by " << comment.author() << " at " << FormatTime(comment.create_time())
      << (comment.visibility() == v1::Comment::INTERNAL ? " (internal)" : "") << "\n"
      << comment.text() << "\n";
}

void PrintEvidenceText(const v1::Evidence& evidence, std::ostream& out) {
  out << evidence.name() << "\n"
      << "  file:   " << evidence.file_name() << " (" << evidence.content_type() << ", "
      << evidence.size_bytes() << " bytes)\n"
      << "  sha256: " << evidence.sha256() << "\n"
      << "  by:     " << evidence.uploader() << " at " << FormatTime(evidence.upload_time())
      << "\n";
}

std::string EventLine(const v1::Event& event) {
  std::string line = std::to_string(event.sequence()) + " " + FormatTime(event.time()) + " " +
                     event.type() + " " + event.claim() +
                     " partition=" + std::to_string(event.partition());
  // Sorted, so the same event always prints the same line.
  std::map<std::string, std::string> attributes(event.attributes().begin(),
                                                event.attributes().end());
  for (const auto& [key, value] : attributes) {
    std::string flat = value;
    for (char& c : flat) {
      if (c == ' ' || c == '\n' || c == '\t') c = '_';
    }
    line += " " + key + "=" + flat;
  }
  return line + " cursor=" + event.cursor();
}

}  // namespace claims::cli
