// Database URLs (RFC 3986 through liburiparser) and MySQL over TLS against a MariaDB of the
// test's own that offers TLS with throwaway certificates.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/internal/url.h"
#include "storage/soci_repository.h"
#include "tests/testing/private_mariadb.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using internal::ConnectionTarget;
using internal::ParseStorageUrl;
using internal::TlsMode;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DatabaseUrlTest, Ipv6HostLosesItsBrackets) {
  ASSERT_OK_AND_ASSIGN(ConnectionTarget target,
                       ParseStorageUrl("mysql://claims:pw@[::1]:3307/claims", true));
  EXPECT_THAT(target.soci_connect_string, HasSubstr("host='::1' port=3307"));
  EXPECT_EQ(target.tls.host, "::1");
  EXPECT_EQ(target.tls.mode, TlsMode::kDisabled);
  EXPECT_THAT(target.soci_connect_string, Not(HasSubstr("sslca")));
}

TEST(DatabaseUrlTest, TlsSettingsFromTheQuery) {
  ASSERT_OK_AND_ASSIGN(
      ConnectionTarget target,
      ParseStorageUrl(
          "mysql://claims:pw@db.internal/claims?ssl-mode=verify_ca&ssl-ca=%2Fetc%2Fca.pem"
          "&ssl-cert=/etc/client.pem&ssl_key=/etc/client.key",
          true));
  EXPECT_EQ(target.tls.mode, TlsMode::kVerifyCa);
  EXPECT_EQ(target.database, "claims");
  EXPECT_THAT(target.soci_connect_string, HasSubstr("sslca='/etc/ca.pem'"));
  EXPECT_THAT(target.soci_connect_string, HasSubstr("sslcert='/etc/client.pem'"));
  EXPECT_THAT(target.soci_connect_string, HasSubstr("sslkey='/etc/client.key'"));
  EXPECT_THAT(target.soci_connect_string, HasSubstr("dbname=claims"));
  // The server-level string (CREATE DATABASE) keeps TLS and drops only the database.
  EXPECT_THAT(target.server_connect_string, HasSubstr("sslca='/etc/ca.pem'"));
  EXPECT_THAT(target.server_connect_string, Not(HasSubstr("dbname")));
}

TEST(DatabaseUrlTest, ModesAreSpelledEitherWay) {
  for (const char* mode : {"VERIFY_IDENTITY", "verify-identity", "Verify_Identity"}) {
    ASSERT_OK_AND_ASSIGN(
        ConnectionTarget target,
        ParseStorageUrl(absl::StrCat("mysql://u:p@db/claims?ssl-mode=", mode), true));
    EXPECT_EQ(target.tls.mode, TlsMode::kVerifyIdentity) << mode;
  }
}

TEST(DatabaseUrlTest, ACaAloneMeansTheFullCheck) {
  ASSERT_OK_AND_ASSIGN(ConnectionTarget target,
                       ParseStorageUrl("mysql://u:p@db/claims?ssl-ca=/etc/ca.pem", true));
  EXPECT_EQ(target.tls.mode, TlsMode::kVerifyIdentity);
  EXPECT_EQ(target.tls.host, "db");
}

TEST(DatabaseUrlTest, VerifyingWithoutACaUsesTheSystemBundle) {
  ASSERT_OK_AND_ASSIGN(ConnectionTarget target,
                       ParseStorageUrl("mysql://u:p@db/claims?ssl-mode=VERIFY_IDENTITY", true));
  EXPECT_THAT(target.soci_connect_string, HasSubstr("sslca='/etc/ssl/certs/ca-certificates.crt'"));
}

TEST(DatabaseUrlTest, RefusesWhatWouldWeakenOrConfuseTheConnection) {
  for (const char* url : {
           "mysql://u:p@h/db?ssl-mode=REQUIRED",   // encrypts without checking anyone
           "mysql://u:p@h/db?ssl-mode=PREFERRED",  // falls back to plain text
           "mysql://u:p@h/db?ssl-mode=VERIFY_SOMETHING",
           "mysql://u:p@h/db?ssl-mode=DISABLED&ssl-ca=/ca.pem",
           "mysql://u:p@h/db?ssl-mod=VERIFY_CA",  // a typo must not mean plain text
           "mysql://u:p@h/db?ssl-ca=/a&ssl-ca=/b",
           "mysql://u:p@h/db?ssl-cert=/c.pem",  // a certificate without its key
           "mysql://u:p@h/db?ssl-mode",
           "mysql://u:p@h/db#x",
           "mysql://u:p@h/a/b",
           "mysql://u:p@[::1/db",
       }) {
    SCOPED_TRACE(url);
    EXPECT_THAT(ParseStorageUrl(url, true), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(DatabaseUrlTest, RefusalsQuoteNeitherPasswordNorLongValues) {
  const std::string long_name(5000, 'x');
  absl::Status status =
      ParseStorageUrl(absl::StrCat("mysql://u:hunter2@h/db?", long_name, "=1"), true).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_LT(status.message().size(), 200u);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("hunter2")));
}

// MySQL over TLS, end to end through the repository.
class MySqlTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(certs_, testing::MakeTestCerts()); }
  std::string Cert(const std::string& name) const { return absl::StrCat(certs_, "/", name); }

  // Opens a repository on `server` with `query` appended to its URL.
  absl::Status Open(const testing::PrivateMariaDb& server, const std::string& query) {
    auto url = server.Url(absl::StrCat("claims_tls?", query));
    if (!url.ok()) return url.status();
    StorageOptions options;
    options.url = *url;
    if (absl::Status created = CreateDatabaseIfMissing(options); !created.ok()) return created;
    auto repo = OpenSociRepository(options);
    if (!repo.ok()) return repo.status();
    return (*repo)->Ping(absl::Seconds(5));
  }

  std::string certs_;
};

TEST_F(MySqlTlsTest, VerifiesTheChainAndTheName) {
  testing::PrivateMariaDb server("tls");
  ASSERT_TRUE(server.StartWithTls(Cert("server.crt"), Cert("server.key"), Cert("ca.crt")));

  EXPECT_OK(Open(server, absl::StrCat("ssl-ca=", Cert("ca.crt"))));
  EXPECT_OK(Open(server, absl::StrCat("ssl-mode=VERIFY_CA&ssl-ca=", Cert("ca.crt"))));
  // With a client certificate too (MariaDB checks it only for users that require one).
  EXPECT_OK(Open(server, absl::StrCat("ssl-ca=", Cert("ca.crt"), "&ssl-cert=", Cert("client.crt"),
                                      "&ssl-key=", Cert("client.key"))));

  absl::Status stranger = Open(server, absl::StrCat("ssl-ca=", Cert("other-ca.crt")));
  EXPECT_THAT(stranger, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(stranger.message()), HasSubstr("certificate"));
  // A client certificate from a CA the server does not trust.
  EXPECT_THAT(
      Open(server, absl::StrCat("ssl-ca=", Cert("ca.crt"), "&ssl-cert=", Cert("other-client.crt"),
                                "&ssl-key=", Cert("other-client.key"))),
      StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MySqlTlsTest, ACertificateForAnotherNameIsRefusedUnlessOnlyTheChainIsAskedFor) {
  testing::PrivateMariaDb server("tls-elsewhere");
  ASSERT_TRUE(server.StartWithTls(Cert("elsewhere.crt"), Cert("elsewhere.key")));

  absl::Status wrong_name = Open(server, absl::StrCat("ssl-ca=", Cert("ca.crt")));
  EXPECT_THAT(wrong_name, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(wrong_name.message()), HasSubstr("does not name 127.0.0.1"));
  EXPECT_OK(Open(server, absl::StrCat("ssl-mode=VERIFY_CA&ssl-ca=", Cert("ca.crt"))));
}

TEST_F(MySqlTlsTest, AServerWithoutTlsIsRefusedWhenTlsIsAskedFor) {
  testing::PrivateMariaDb server("plain");
  ASSERT_TRUE(server.Start());
  EXPECT_THAT(Open(server, absl::StrCat("ssl-ca=", Cert("ca.crt"))),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_OK(Open(server, "ssl-mode=DISABLED"));
}

}  // namespace
}  // namespace claims::storage
