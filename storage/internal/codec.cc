#include "storage/internal/codec.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPageTokenPrefix = "k1";

absl::Status Damaged(std::string_view what, std::string_view detail) {
  return absl::InternalError(absl::StrCat("stored ", Av(what), " is not valid: ", Av(detail)));
}

absl::StatusOr<Json> ParseJson(std::string_view what, std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Damaged(what, "not JSON");
  return j;
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(std::string_view what, std::string_view s,
                               const std::pair<Enum, std::string_view> (&names)[N]) {
  for (const auto& [value, name] : names) {
    if (name == s) return value;
  }
  return Damaged(what, s);
}

template <typename Enum, size_t N>
std::string_view NameOf(Enum e, const std::pair<Enum, std::string_view> (&names)[N]) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  // Every enumerator is in its table (the tables below list them all).
  return names[0].second;
}

constexpr std::pair<workflow::SlaStatus, std::string_view> kSlaNames[] = {
    {workflow::SlaStatus::kOnTrack, "on_track"},
    {workflow::SlaStatus::kAtRisk, "at_risk"},
    {workflow::SlaStatus::kBreached, "breached"},
};
constexpr std::pair<workflow::TimerStatus, std::string_view> kTimerNames[] = {
    {workflow::TimerStatus::kArmed, "armed"},         {workflow::TimerStatus::kPaused, "paused"},
    {workflow::TimerStatus::kBreached, "breached"},   {workflow::TimerStatus::kFired, "fired"},
    {workflow::TimerStatus::kCancelled, "cancelled"},
};
constexpr std::pair<workflow::HistoryKind, std::string_view> kHistoryNames[] = {
    {workflow::HistoryKind::kCreated, "created"},
    {workflow::HistoryKind::kAction, "action"},
    {workflow::HistoryKind::kEdit, "edit"},
    {workflow::HistoryKind::kComment, "comment"},
    {workflow::HistoryKind::kEvidence, "evidence"},
    {workflow::HistoryKind::kTimer, "timer"},
    {workflow::HistoryKind::kMigration, "migration"},
    {workflow::HistoryKind::kDeadlineChange, "deadline_change"},
};
constexpr std::pair<workflow::CommentVisibility, std::string_view> kVisibilityNames[] = {
    {workflow::CommentVisibility::kPublic, "public"},
    {workflow::CommentVisibility::kInternal, "internal"},
};

}  // namespace

int64_t EncodeTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kTimeNever;
  if (t == absl::InfinitePast()) return kTimeUnset;
  return absl::ToUnixMicros(t);
}

absl::Time DecodeTime(int64_t micros) {
  if (micros == kTimeNever) return absl::InfiniteFuture();
  if (micros == kTimeUnset) return absl::InfinitePast();
  return absl::FromUnixMicros(micros);
}

int64_t EncodeDuration(absl::Duration d) { return absl::ToInt64Microseconds(d); }
absl::Duration DecodeDuration(int64_t micros) { return absl::Microseconds(micros); }

std::string_view SlaStatusName(workflow::SlaStatus s) { return NameOf(s, kSlaNames); }
absl::StatusOr<workflow::SlaStatus> ParseSlaStatus(std::string_view s) {
  return ParseName("sla_status", s, kSlaNames);
}
std::string_view TimerStatusName(workflow::TimerStatus s) { return NameOf(s, kTimerNames); }
absl::StatusOr<workflow::TimerStatus> ParseTimerStatus(std::string_view s) {
  return ParseName("timer status", s, kTimerNames);
}
std::string_view HistoryKindName(workflow::HistoryKind k) { return NameOf(k, kHistoryNames); }
absl::StatusOr<workflow::HistoryKind> ParseHistoryKind(std::string_view s) {
  return ParseName("history kind", s, kHistoryNames);
}
std::string_view VisibilityName(workflow::CommentVisibility v) {
  return NameOf(v, kVisibilityNames);
}
absl::StatusOr<workflow::CommentVisibility> ParseVisibility(std::string_view s) {
  return ParseName("comment visibility", s, kVisibilityNames);
}
absl::StatusOr<workflow::Perspective> ParsePerspectiveColumn(std::string_view s) {
  std::optional<workflow::Perspective> p = workflow::ParsePerspective(s);
  if (!p.has_value()) return Damaged("perspective", s);
  return *p;
}

std::string EncodeStringList(const std::vector<std::string>& values) {
  return Json(values).dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<std::string>> DecodeStringList(std::string_view json) {
  auto j = ParseJson("string list", json);
  if (!j.ok()) return j.status();
  if (!j->is_array()) return Damaged("string list", "not an array");
  std::vector<std::string> out;
  for (const Json& v : *j) {
    if (!v.is_string()) return Damaged("string list", "not a string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string EncodeAttributes(const workflow::EventAttributes& attributes) {
  Json j = Json::object();
  for (const auto& [name, value] : attributes) j[name] = value;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<workflow::EventAttributes> DecodeAttributes(std::string_view json) {
  auto j = ParseJson("event attributes", json);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return Damaged("event attributes", "not an object");
  workflow::EventAttributes out;
  out.reserve(j->size());
  for (const auto& [name, value] : j->items()) {
    if (!value.is_string()) return Damaged("event attributes", "not a string");
    out.Set(name, value.get<std::string>());
  }
  return out;
}

std::string EncodeFacts(const workflow::ClaimFacts& facts) {
  Json j;
  j["action_counts"] = facts.action_counts;
  j["last_reasons"] = facts.last_reasons;
  j["evidence_added_in_state"] = facts.evidence_added_in_state;
  j["comments_added_in_state"] = facts.comments_added_in_state;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<workflow::ClaimFacts> DecodeFacts(std::string_view json) {
  auto j = ParseJson("facts", json);
  if (!j.ok()) return j.status();
  workflow::ClaimFacts facts;
  try {
    facts.action_counts = j->at("action_counts").get<std::map<std::string, int32_t>>();
    facts.last_reasons =
        j->at("last_reasons").get<std::map<std::string, std::vector<std::string>>>();
    facts.evidence_added_in_state = j->at("evidence_added_in_state").get<int32_t>();
    facts.comments_added_in_state = j->at("comments_added_in_state").get<int32_t>();
  } catch (const Json::exception& e) {
    return Damaged("facts", e.what());
  }
  return facts;
}

std::string EncodeHistoryDetails(const workflow::HistoryEntry& entry) {
  Json changes = Json::array();
  for (const workflow::FieldChange& c : entry.changes) {
    changes.push_back({{"field", c.field}, {"before", c.before}, {"after", c.after}});
  }
  Json j;
  j["from_state"] = entry.from_state;
  j["to_state"] = entry.to_state;
  j["reasons"] = entry.reasons;
  j["comment"] = entry.comment;
  j["internal_comment"] = entry.internal_comment;
  j["changes"] = std::move(changes);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status DecodeHistoryDetails(std::string_view json, workflow::HistoryEntry* entry) {
  auto j = ParseJson("history details", json);
  if (!j.ok()) return j.status();
  try {
    entry->from_state = j->at("from_state").get<std::string>();
    entry->to_state = j->at("to_state").get<std::string>();
    entry->reasons = j->at("reasons").get<std::vector<std::string>>();
    entry->comment = j->at("comment").get<std::string>();
    // Absent in entries written before the flag existed: those comments were public.
    entry->internal_comment = j->value("internal_comment", false);
    entry->changes.clear();
    for (const Json& c : j->at("changes")) {
      entry->changes.push_back({c.at("field").get<std::string>(), c.at("before").get<std::string>(),
                                c.at("after").get<std::string>()});
    }
  } catch (const Json::exception& e) {
    return Damaged("history details", e.what());
  }
  return absl::OkStatus();
}

std::string EncodePageToken(const PageKey& key) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(Av(kPageTokenPrefix), ":", key.create_time, ":", key.id));
}

absl::StatusOr<PageKey> DecodePageToken(std::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(Av(token), &raw)) {
    return absl::InvalidArgumentError("page_token is not valid");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(raw, absl::MaxSplits(':', 2));
  PageKey key;
  if (parts.size() != 3 || parts[0] != Av(kPageTokenPrefix) ||
      !absl::SimpleAtoi(parts[1], &key.create_time) || parts[2].empty()) {
    return absl::InvalidArgumentError("page_token is not valid");
  }
  key.id = std::string(parts[2]);
  return key;
}

}  // namespace claims::storage::internal
