#include "storage/internal/session.h"

// The client library's connection internals (a connection's TLS session) need mysql.h first,
// HAVE_TLS for ma_pvio.h to declare the TLS part rather than hide it behind void, and uchar,
// which ma_tls.h uses before ma_pvio.h declares it.
#include <errmsg.h>
#include <mysql.h>
typedef unsigned char uchar;  // NOLINT: the library's own name
#define HAVE_TLS
#include <ma_pvio.h>
#undef HAVE_TLS
//
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/internal/dialect.h"

namespace claims::storage::internal {
namespace {

// The client library's own code for a failed TLS connection, so these refusals are classified
// as the library's are.
constexpr int kTlsErrorCode = CR_SSL_CONNECTION_ERROR;

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// The client library has checked the server's chain against the CA before it sent credentials
// (it refuses an unknown CA), but SOCI cannot ask it to check the name on the certificate, and
// with a server that offers no TLS some client versions carry on in plain text. So each new
// connection is checked here, before any statement runs on it.
void CheckTransport(soci::session& session, const ConnectionTarget& target) {
  if (target.backend != Backend::kMySql || target.tls.mode == TlsMode::kDisabled) return;
  // SOCI's library exports no type information for its backends, so no dynamic_cast; the
  // backend is MySQL's because the target is.
  auto* backend = static_cast<soci::mysql_session_backend*>(session.get_backend());
  MYSQL* conn = backend == nullptr ? nullptr : backend->conn_;
  if (conn == nullptr || mysql_get_ssl_cipher(conn) == nullptr || conn->net.pvio == nullptr ||
      conn->net.pvio->ctls == nullptr || conn->net.pvio->ctls->ssl == nullptr) {
    session.close();
    throw soci::mysql_soci_error(
        "database connection is not encrypted, but the storage url asks for "
        "TLS (ssl-mode): does the server have ssl_cert and ssl_key?",
        kTlsErrorCode);
  }
  if (target.tls.mode != TlsMode::kVerifyIdentity) return;
  X509* peer = SSL_get1_peer_certificate(static_cast<SSL*>(conn->net.pvio->ctls->ssl));
  const std::string& host = target.tls.host;
  const bool names_host =
      peer != nullptr &&
      (IsIpLiteral(host) ? X509_check_ip_asc(peer, host.c_str(), 0) == 1
                         : X509_check_host(peer, host.data(), host.size(), 0, nullptr) == 1);
  X509_free(peer);
  if (!names_host) {
    session.close();
    throw soci::mysql_soci_error(
        absl::StrCat("database server certificate does not name ", host,
                     " (ssl-mode=VERIFY_IDENTITY; VERIFY_CA checks the chain only)"),
        kTlsErrorCode);
  }
}

}  // namespace

void OpenSession(soci::session& session, const ConnectionTarget& target,
                 absl::Duration busy_timeout, absl::Duration io_timeout) {
  if (target.backend == Backend::kMySql) {
    const int64_t io_seconds = std::max<int64_t>(1, absl::ToInt64Seconds(io_timeout));
    const int64_t connect_seconds = std::min<int64_t>(5, io_seconds);
    session.open(*soci::factory_mysql(),
                 absl::StrCat(target.soci_connect_string, " connect_timeout=", connect_seconds,
                              " read_timeout=", io_seconds, " write_timeout=", io_seconds));
    CheckTransport(session, target);
  } else {
    session.open(*soci::factory_sqlite3(), target.soci_connect_string);
  }
  SetUpSession(session, target.backend, busy_timeout);
}

void SetUpReconnectedSession(soci::session& session, const ConnectionTarget& target,
                             absl::Duration busy_timeout) {
  CheckTransport(session, target);
  SetUpSession(session, target.backend, busy_timeout);
}

void SetUpSession(soci::session& session, Backend backend, absl::Duration busy_timeout) {
  // The busy timeout first: the other pragmas may already have to wait for a writer.
  if (backend == Backend::kSqlite) {
    session << absl::StrCat("PRAGMA busy_timeout = ", absl::ToInt64Milliseconds(busy_timeout));
  }
  for (const std::string& sql : DialectFor(backend).session_setup) session << sql;
}

}  // namespace claims::storage::internal
