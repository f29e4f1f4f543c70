#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace claims::storage::internal {

// What a caught exception means for the transaction that raised it.
struct Failure {
  enum Kind {
    kRetry,       // deadlock, lock-wait timeout, busy database: run the transaction again
    kConnection,  // the connection is gone: reconnect, then run it again
    kFinal,       // answer with `status`
  };
  Kind kind = kFinal;
  absl::Status status;
  // Why a retried transaction is retried, for StorageStats.
  enum Cause { kDeadlock, kLockTimeout, kBusy, kConnectionLost, kOther };
  Cause cause = kOther;
};

// Classifies the exception being handled; call only inside a catch block. SOCI's MySQL and
// SQLite errors by their error numbers, anything else as INTERNAL.
Failure ClassifyCurrentException();

// `status` with "op: " before its message.
absl::Status Prefixed(std::string_view op, const absl::Status& status);

}  // namespace claims::storage::internal
