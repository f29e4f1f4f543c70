#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "workflow/claim.h"

// How domain values become column values and back. Times are microseconds since the Unix epoch
// (UTC), exact and portable across both backends; sub-microsecond parts are dropped.
namespace claims::storage::internal {

inline constexpr int64_t kTimeNever = INT64_MAX;  // absl::InfiniteFuture()
inline constexpr int64_t kTimeUnset = INT64_MIN;  // absl::InfinitePast()

int64_t EncodeTime(absl::Time t);
absl::Time DecodeTime(int64_t micros);
int64_t EncodeDuration(absl::Duration d);
absl::Duration DecodeDuration(int64_t micros);

std::string_view SlaStatusName(workflow::SlaStatus s);
absl::StatusOr<workflow::SlaStatus> ParseSlaStatus(std::string_view s);
std::string_view TimerStatusName(workflow::TimerStatus s);
absl::StatusOr<workflow::TimerStatus> ParseTimerStatus(std::string_view s);
std::string_view HistoryKindName(workflow::HistoryKind k);
absl::StatusOr<workflow::HistoryKind> ParseHistoryKind(std::string_view s);
std::string_view VisibilityName(workflow::CommentVisibility v);
absl::StatusOr<workflow::CommentVisibility> ParseVisibility(std::string_view s);
absl::StatusOr<workflow::Perspective> ParsePerspectiveColumn(std::string_view s);

// JSON text columns. Decoders answer INTERNAL: the text was written by the encoders, so a
// failure means the row was damaged outside this code.
std::string EncodeStringList(const std::vector<std::string>& values);
absl::StatusOr<std::vector<std::string>> DecodeStringList(std::string_view json);
std::string EncodeAttributes(const workflow::EventAttributes& attributes);
absl::StatusOr<workflow::EventAttributes> DecodeAttributes(std::string_view json);
std::string EncodeFacts(const workflow::ClaimFacts& facts);
absl::StatusOr<workflow::ClaimFacts> DecodeFacts(std::string_view json);
// The parts of a history entry that have no column of their own.
std::string EncodeHistoryDetails(const workflow::HistoryEntry& entry);
absl::Status DecodeHistoryDetails(std::string_view json, workflow::HistoryEntry* entry);

// Opaque keyset page tokens: web-safe base64 of the last row's (create_time, id).
struct PageKey {
  int64_t create_time = 0;
  std::string id;
};
std::string EncodePageToken(const PageKey& key);
// INVALID_ARGUMENT when `token` was not produced by EncodePageToken.
absl::StatusOr<PageKey> DecodePageToken(std::string_view token);

}  // namespace claims::storage::internal
