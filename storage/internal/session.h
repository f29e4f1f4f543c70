#pragma once

#include "absl/time/time.h"
#include "storage/internal/url.h"

namespace soci {
class session;
}

namespace claims::storage::internal {

// Opens `session` on `target` and applies the per-session settings of its dialect. Throws what
// SOCI throws. Also lets code outside this library (the benchmark's direct-SQL baseline) open
// sessions without the backend headers, which need the MariaDB client's include directory.
//
// MySQL connections get timeouts that bound how long a dead server can stall a call: 5 s to
// connect and `io_timeout` for each read and write (whole seconds, at least one).
inline constexpr absl::Duration kDefaultIoTimeout = absl::Seconds(120);
void OpenSession(soci::session& session, const ConnectionTarget& target,
                 absl::Duration busy_timeout, absl::Duration io_timeout = kDefaultIoTimeout);

// A session that was just reconnected: its transport checked again (TLS in use, the
// certificate's name) and the per-session settings applied.
void SetUpReconnectedSession(soci::session& session, const ConnectionTarget& target,
                             absl::Duration busy_timeout);

// The per-session settings alone.
void SetUpSession(soci::session& session, Backend backend, absl::Duration busy_timeout);

}  // namespace claims::storage::internal
