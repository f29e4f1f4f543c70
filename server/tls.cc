#include "server/tls.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "config/file_reading.h"

namespace claims::server {
namespace {

// PEM files are a few kilobytes; a CA bundle may be a few hundred.
constexpr std::size_t kMaxPemBytes = 4 << 20;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

absl::StatusOr<std::string> ReadPem(const std::string& what, const std::string& path) {
  absl::StatusOr<std::string> pem = config::ReadFileWithin(path, kMaxPemBytes);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(), absl::StrCat(what, ": ", pem.status().message()));
  }
  return pem;
}

// The first certificate of a PEM chain; INVALID_ARGUMENT when there is none.
absl::StatusOr<std::unique_ptr<X509, X509Deleter>> FirstCertificate(const std::string& what,
                                                                    const std::string& path,
                                                                    const std::string& pem) {
  auto bio = Bio(pem);
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": no PEM certificate (BEGIN CERTIFICATE) in it"));
  }
  return cert;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MainPortCredentials(
    const config::TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> chain = ReadPem("tls.cert_file", tls.cert_file);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<std::string> key = ReadPem("tls.key_file", tls.key_file);
  if (!key.ok()) return key.status();
  auto cert = FirstCertificate("tls.cert_file", tls.cert_file, *chain);
  if (!cert.ok()) return cert.status();
  {
    auto bio = Bio(*key);
    std::unique_ptr<EVP_PKEY, KeyDeleter> private_key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!private_key) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls.key_file ", tls.key_file, ": no unencrypted PEM private key in it"));
    }
    if (X509_check_private_key(cert->get(), private_key.get()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          "tls.key_file ", tls.key_file, " is not the key of the certificate in ", tls.cert_file));
    }
  }
  std::string roots;
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("tls.client_ca_file", tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    if (auto first = FirstCertificate("tls.client_ca_file", tls.client_ca_file, *ca); !first.ok()) {
      return first.status();
    }
    roots = *std::move(ca);
  }

  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (tls.reload_interval > absl::ZeroDuration()) {
    const auto seconds = static_cast<unsigned int>(std::min<int64_t>(
        absl::ToInt64Seconds(tls.reload_interval), std::numeric_limits<unsigned int>::max()));
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        tls.key_file, tls.cert_file, tls.client_ca_file, std::max(1u, seconds));
  } else {
    provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        roots, std::vector<grpc::experimental::IdentityKeyCertPair>{{*key, *chain}});
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

bool IsLoopbackAddress(std::string_view listen) {
  if (listen.starts_with("unix:") || listen.starts_with("unix-abstract:")) {
    return true;
  }
  std::string_view host = listen;
  if (host.starts_with("[")) {
    host = host.substr(
        1, host.find(']') == std::string_view::npos ? host.size() - 1 : host.find(']') - 1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace claims::server
