#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace claims::storage::internal {

enum class Backend { kMySql, kSqlite };

// How a MySQL connection is protected, in the names of MySQL's own ssl-mode. There is no
// REQUIRED or PREFERRED: encryption to a server whose certificate nobody checks stops only a
// passive listener, and PREFERRED falls back to plain text without a word.
enum class TlsMode {
  kDisabled,        // plain text (the default; right on loopback or inside a pod network)
  kVerifyCa,        // TLS, the server's chain checked against the CA
  kVerifyIdentity,  // and the certificate names the host of the URL
};

struct TlsSettings {
  TlsMode mode = TlsMode::kDisabled;
  std::string ca_file;    // ssl-ca; the system bundle when a verifying mode names none
  std::string cert_file;  // ssl-cert and ssl-key: a client certificate, for servers that ask
  std::string key_file;
  std::string host;  // the host the certificate must name (without IPv6 brackets)
};

// Where a storage URL points, as SOCI needs it.
struct ConnectionTarget {
  Backend backend = Backend::kSqlite;
  std::string soci_connect_string;    // "db=..." or "host=... port=... dbname=... user=..."
  std::string server_connect_string;  // MySQL: the same server without naming a database
  std::string database;               // MySQL database name, or the SQLite path
  bool in_memory = false;             // sqlite::memory:, one connection only
  TlsSettings tls;                    // MySQL only
};

// Parses "sqlite:PATH", "sqlite::memory:" or
// "mysql://user:password@host[:port]/database[?ssl-mode=...&ssl-ca=...&ssl-cert=...&ssl-key=...]"
// (RFC 3986, through liburiparser: IPv6 hosts in brackets, every part percent-decoded).
// ssl-mode is DISABLED, VERIFY_CA or VERIFY_IDENTITY (the default when ssl-ca is given).
// `require_database` = false lets a MySQL URL name no database (for server-level statements such as
// CREATE DATABASE). INVALID_ARGUMENT on anything else, with a message that does not echo the
// password.
absl::StatusOr<ConnectionTarget> ParseStorageUrl(std::string_view url, bool require_database);

// Percent-decodes `in`; INVALID_ARGUMENT on a truncated or non-hex escape.
absl::StatusOr<std::string> PercentDecode(std::string_view in);

}  // namespace claims::storage::internal
