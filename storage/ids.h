#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace claims::storage {

// A new ULID (https://github.com/ulid/spec): 26 characters of Crockford base32, the first 10
// encoding `now` in milliseconds and the rest 80 random bits. Ids from one process are strictly
// increasing even within a millisecond or when `now` goes backwards (the random part is then
// incremented), so they sort by creation and can be assigned before a row is written.
// Thread-safe.
std::string NewId(absl::Time now);

// True when `id` has the shape NewId produces (26 Crockford base32 characters, uppercase).
bool IsValidId(std::string_view id);

}  // namespace claims::storage
