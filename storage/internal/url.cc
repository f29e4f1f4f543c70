#include "storage/internal/url.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kMySqlPrefix = "mysql://";
constexpr std::string_view kSqliteMemory = ":memory:";

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

absl::StatusOr<ConnectionTarget> ParseStorageUrl(std::string_view url, bool require_database) {
  ConnectionTarget target;
  if (url.starts_with(kMySqlPrefix)) {
    target.backend = Backend::kMySql;
    std::string_view rest = url.substr(kMySqlPrefix.size());
    size_t at = rest.rfind('@');
    if (at == std::string_view::npos) {
      return absl::InvalidArgumentError("storage url: mysql://user:password@host:port/database");
    }
    std::string_view userinfo = rest.substr(0, at);
    std::string_view hostpart = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string_view raw_user = userinfo.substr(0, colon);
    std::string_view raw_password =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    auto user = PercentDecode(raw_user);
    if (!user.ok()) return user.status();
    auto password = PercentDecode(raw_password);
    if (!password.ok()) return password.status();
    if (user->empty()) return absl::InvalidArgumentError("storage url: missing user");

    size_t slash = hostpart.find('/');
    std::string_view hostport = hostpart.substr(0, slash);
    std::string_view database =
        slash == std::string_view::npos ? std::string_view() : hostpart.substr(slash + 1);
    if (database.find('?') != std::string_view::npos) {
      return absl::InvalidArgumentError("storage url: query parameters are not supported");
    }
    std::string_view host = hostport;
    int port = 3306;
    if (size_t c = hostport.rfind(':'); c != std::string_view::npos) {
      host = hostport.substr(0, c);
      if (!absl::SimpleAtoi(Av(hostport.substr(c + 1)), &port) || port <= 0 || port > 65535) {
        return absl::InvalidArgumentError("storage url: bad port");
      }
    }
    if (host.empty()) return absl::InvalidArgumentError("storage url: missing host");
    for (char ch : database) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
        return absl::InvalidArgumentError(
            "storage url: the database name may hold only letters, digits and '_'");
      }
    }
    if (require_database && database.empty()) {
      return absl::InvalidArgumentError("storage url: missing database name");
    }
    target.database = std::string(database);
    auto user_kv = ConnectValue("user", *user, '\'');
    if (!user_kv.ok()) return user_kv.status();
    auto password_kv = ConnectValue("password", *password, '\'');
    if (!password_kv.ok()) return password_kv.status();
    auto host_kv = ConnectValue("host", host, '\'');
    if (!host_kv.ok()) return host_kv.status();
    // Never MySQL's auto-reconnect (it silently drops the open transaction): SOCI leaves it off
    // unless asked. OpenSession adds the timeouts.
    target.soci_connect_string = absl::StrCat(*host_kv, " port=", port, " ", *user_kv, " ",
                                              *password_kv, " charset=utf8mb4");
    if (!database.empty()) absl::StrAppend(&target.soci_connect_string, " dbname=", Av(database));
    return target;
  }
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
