#include "storage/internal/url.h"

#include <uriparser/Uri.h>

#include <cctype>
#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kMySqlPrefix = "mysql://";
constexpr std::string_view kSqliteMemory = ":memory:";
// Debian's ca-certificates bundle: the CAs of managed databases with public certificates.
constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// SOCI splits connection strings on spaces and lets values be quoted (single quotes for MySQL,
// double quotes for SQLite); it has no escape for the quote itself, so such values are refused
// rather than mangled.
absl::StatusOr<std::string> ConnectValue(std::string_view key, std::string_view value, char quote) {
  if (value.find(quote) != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage url: the ", Av(key), " must not contain the character ", std::string(1, quote)));
  }
  return absl::StrCat(Av(key), "=", std::string(1, quote), Av(value), std::string(1, quote));
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return absl::InvalidArgumentError("storage url: truncated percent escape");
    }
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("storage url: bad percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

namespace {

std::string_view RangeText(const UriTextRangeA& range) {
  if (range.first == nullptr || range.afterLast == nullptr) return {};
  return std::string_view(range.first, static_cast<size_t>(range.afterLast - range.first));
}

// The query of a MySQL URL: connection settings, each at most once, nothing unknown (a typo in
// ssl-mode must not leave a connection in plain text).
absl::Status ParseQuery(std::string_view query, TlsSettings& tls) {
  std::optional<std::string> mode;
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(Av(query), '&', absl::SkipEmpty())) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(
          "storage url: a query parameter needs a value (name=value)");
    }
    ASSIGN_OR_RETURN(std::string name, PercentDecode(std::string_view(item.data(), eq)));
    ASSIGN_OR_RETURN(std::string value,
                     PercentDecode(std::string_view(item.data() + eq + 1, item.size() - eq - 1)));
    absl::StrReplaceAll({{"_", "-"}}, &name);
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("storage url: query parameter ", name.substr(0, 40), " given twice"));
    }
    if (name == "ssl-mode") {
      // verify-identity as the mysql client's --ssl-mode takes it, VERIFY_IDENTITY as its docs.
      mode = absl::StrReplaceAll(absl::AsciiStrToUpper(value), {{"-", "_"}});
    } else if (name == "ssl-ca") {
      tls.ca_file = value;
    } else if (name == "ssl-cert") {
      tls.cert_file = value;
    } else if (name == "ssl-key") {
      tls.key_file = value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("storage url: unknown query parameter ", name.substr(0, 40),
                       " (known: ssl-mode, ssl-ca, ssl-cert, ssl-key)"));
    }
  }
  if (!mode.has_value()) {
    tls.mode = tls.ca_file.empty() && tls.cert_file.empty() ? TlsMode::kDisabled
                                                            : TlsMode::kVerifyIdentity;
  } else if (*mode == "DISABLED") {
    if (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty()) {
      return absl::InvalidArgumentError(
          "storage url: ssl-mode=DISABLED contradicts ssl-ca, ssl-cert and ssl-key");
    }
    tls.mode = TlsMode::kDisabled;
  } else if (*mode == "VERIFY_CA") {
    tls.mode = TlsMode::kVerifyCa;
  } else if (*mode == "VERIFY_IDENTITY") {
    tls.mode = TlsMode::kVerifyIdentity;
  } else if (*mode == "REQUIRED" || *mode == "PREFERRED") {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage url: ssl-mode=", *mode,
        " is not offered: it does not check the server's certificate (PREFERRED even falls back "
        "to plain text); use VERIFY_IDENTITY or VERIFY_CA, with ssl-ca for a private CA"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("storage url: ssl-mode must be DISABLED, VERIFY_CA or VERIFY_IDENTITY, not ",
                     mode->substr(0, 40)));
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("storage url: ssl-cert and ssl-key go together");
  }
  if (tls.mode != TlsMode::kDisabled && tls.ca_file.empty()) tls.ca_file = kSystemCaBundle;
  return absl::OkStatus();
}

absl::StatusOr<ConnectionTarget> ParseMySqlUrl(std::string_view url, bool require_database) {
  ConnectionTarget target;
  target.backend = Backend::kMySql;
  const std::string text(url);
  UriUriA uri;
  const char* error_at = nullptr;
  if (uriParseSingleUriA(&uri, text.c_str(), &error_at) != URI_SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage url: not a valid URL at character ",
        error_at == nullptr ? 0 : error_at - text.c_str() + 1,
        "; expected mysql://user:password@host[:port]/database (percent-encode reserved "
        "characters in the user and password)"));
  }
  absl::Cleanup free_uri = [&uri] { uriFreeUriMembersA(&uri); };

  std::string_view userinfo = RangeText(uri.userInfo);
  if (userinfo.empty()) {
    return absl::InvalidArgumentError("storage url: mysql://user:password@host:port/database");
  }
  size_t colon = userinfo.find(':');
  ASSIGN_OR_RETURN(std::string user, PercentDecode(userinfo.substr(0, colon)));
  ASSIGN_OR_RETURN(std::string password,
                   PercentDecode(colon == std::string_view::npos ? std::string_view()
                                                                 : userinfo.substr(colon + 1)));
  if (user.empty()) return absl::InvalidArgumentError("storage url: missing user");

  // uriparser gives an IPv6 literal without its brackets, which is what the client library
  // wants; a registered name may still be percent-encoded.
  ASSIGN_OR_RETURN(std::string host, PercentDecode(RangeText(uri.hostText)));
  if (host.empty()) return absl::InvalidArgumentError("storage url: missing host");
  int port = 3306;
  if (std::string_view port_text = RangeText(uri.portText); !port_text.empty()) {
    if (!absl::SimpleAtoi(Av(port_text), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError("storage url: bad port");
    }
  }

  std::string database;
  int segments = 0;
  for (const UriPathSegmentA* segment = uri.pathHead; segment != nullptr; segment = segment->next) {
    if (++segments > 1) {
      return absl::InvalidArgumentError("storage url: the path is one database name");
    }
    database = std::string(RangeText(segment->text));
  }
  for (char ch : database) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
      return absl::InvalidArgumentError(
          "storage url: the database name may hold only letters, digits and '_'");
    }
  }
  if (require_database && database.empty()) {
    return absl::InvalidArgumentError("storage url: missing database name");
  }
  if (uri.fragment.first != nullptr) {
    return absl::InvalidArgumentError("storage url: a fragment (#...) means nothing here");
  }
  RETURN_IF_ERROR(ParseQuery(RangeText(uri.query), target.tls));
  target.tls.host = host;
  target.database = database;

  ASSIGN_OR_RETURN(std::string user_kv, ConnectValue("user", user, '\''));
  ASSIGN_OR_RETURN(std::string password_kv, ConnectValue("password", password, '\''));
  ASSIGN_OR_RETURN(std::string host_kv, ConnectValue("host", host, '\''));
  // Never MySQL's auto-reconnect (it silently drops the open transaction): SOCI leaves it off
  // unless asked. OpenSession adds the timeouts.
  target.soci_connect_string =
      absl::StrCat(host_kv, " port=", port, " ", user_kv, " ", password_kv, " charset=utf8mb4");
  // With a CA the client library checks the server's chain before it sends credentials;
  // OpenSession checks the name on the certificate (VERIFY_IDENTITY) and that TLS is in use.
  if (target.tls.mode != TlsMode::kDisabled) {
    ASSIGN_OR_RETURN(std::string ca_kv, ConnectValue("sslca", target.tls.ca_file, '\''));
    absl::StrAppend(&target.soci_connect_string, " ", ca_kv);
    if (!target.tls.cert_file.empty()) {
      ASSIGN_OR_RETURN(std::string cert_kv, ConnectValue("sslcert", target.tls.cert_file, '\''));
      ASSIGN_OR_RETURN(std::string key_kv, ConnectValue("sslkey", target.tls.key_file, '\''));
      absl::StrAppend(&target.soci_connect_string, " ", cert_kv, " ", key_kv);
    }
  }
  target.server_connect_string = target.soci_connect_string;
  if (!database.empty()) absl::StrAppend(&target.soci_connect_string, " dbname=", database);
  return target;
}

}  // namespace

absl::StatusOr<ConnectionTarget> ParseStorageUrl(std::string_view url, bool require_database) {
  ConnectionTarget target;
  if (url.starts_with(kMySqlPrefix)) return ParseMySqlUrl(url, require_database);
  if (url.starts_with(kSqlitePrefix)) {
    target.backend = Backend::kSqlite;
    std::string_view path = url.substr(kSqlitePrefix.size());
    if (path.empty()) return absl::InvalidArgumentError("storage url: sqlite:PATH");
    target.in_memory = path == kSqliteMemory;
    target.database = std::string(path);
    auto db_kv = ConnectValue("db", path, '"');
    if (!db_kv.ok()) return db_kv.status();
    target.soci_connect_string = *db_kv;
    return target;
  }
  return absl::InvalidArgumentError(
      "storage url: expected sqlite:PATH or mysql://user:password@host:port/database");
}

}  // namespace claims::storage::internal
