#include "storage/internal/failure.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <exception>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

// MySQL client and server error numbers that decide what a failure means.
constexpr unsigned kMySqlDuplicateKey = 1062;
constexpr unsigned kMySqlDuplicateKeyName = 1586;
constexpr unsigned kMySqlDeadlock = 1213;
constexpr unsigned kMySqlLockWaitTimeout = 1205;
constexpr unsigned kMySqlServerShutdown = 1053;
constexpr unsigned kMySqlConnectionKilled = 1927;
constexpr unsigned kMySqlClientInteractionTimeout = 4031;
constexpr unsigned kMySqlCantConnectSocket = 2002;
constexpr unsigned kMySqlCantConnect = 2003;
constexpr unsigned kMySqlServerGone = 2006;
constexpr unsigned kMySqlServerLost = 2013;
constexpr unsigned kMySqlServerLostExtended = 2055;
// CR_SSL_CONNECTION_ERROR: the TLS handshake failed or the certificate was refused. The database
// is out of reach as surely as when it does not answer (and a rotated certificate can fix it).
constexpr unsigned kMySqlTlsError = 2026;
// SQLite primary result codes (extended codes carry them in the low byte).
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteConstraint = 19;

}  // namespace

Failure ClassifyCurrentException() {
  try {
    throw;
  } catch (const soci::mysql_soci_error& e) {
    switch (e.err_num_) {
      case kMySqlDeadlock:
        return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kDeadlock};
      case kMySqlLockWaitTimeout:
        return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kLockTimeout};
      case kMySqlServerShutdown:
      case kMySqlConnectionKilled:
      case kMySqlClientInteractionTimeout:
      case kMySqlCantConnectSocket:
      case kMySqlCantConnect:
      case kMySqlServerGone:
      case kMySqlServerLost:
      case kMySqlServerLostExtended:
      case kMySqlTlsError:
        return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
      case kMySqlDuplicateKey:
      case kMySqlDuplicateKeyName:
        return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
      default:
        break;
    }
    if (e.get_error_category() == soci::soci_error::connection_error) {
      return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const soci::sqlite3_soci_error& e) {
    int code = e.result() & 0xff;
    if (code == kSqliteBusy || code == kSqliteLocked) {
      return {Failure::kRetry, absl::AbortedError(e.what()), Failure::kBusy};
    }
    if (code == kSqliteConstraint) {
      std::string_view what = e.what();
      if (what.find("UNIQUE") != std::string_view::npos ||
          what.find("PRIMARY KEY") != std::string_view::npos) {
        return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
      }
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const soci::soci_error& e) {
    if (e.get_error_category() == soci::soci_error::connection_error) {
      return {Failure::kConnection, absl::UnavailableError(e.what()), Failure::kConnectionLost};
    }
    if (e.get_error_category() == soci::soci_error::constraint_violation) {
      return {Failure::kFinal, absl::AlreadyExistsError(e.what())};
    }
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (const std::exception& e) {
    return {Failure::kFinal, absl::InternalError(e.what())};
  } catch (...) {
    return {Failure::kFinal, absl::InternalError("unknown exception")};
  }
}

absl::Status Prefixed(std::string_view op, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(Av(op), ": ", status.message()));
}

}  // namespace claims::storage::internal
