#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/claims_config.h"

namespace claims::server {

// Credentials for the main port. Without tls.cert_file: plaintext. With it: TLS with the
// certificate chain and key from files, re-read every tls.reload_interval when they change (a
// renewed certificate needs no restart; gRPC's FileWatcherCertificateProvider keeps the last
// good pair while a rotation is half-written), and with tls.client_ca_file, mutual TLS: a
// client must present a certificate signed by one of those CAs. The files are checked at once
// (readable PEM, the key belongs to the certificate), so a mistake stops start-up instead of
// failing every handshake. INVALID_ARGUMENT or NOT_FOUND naming the file otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MainPortCredentials(
    const config::TlsConfig& tls);

// Whether `listen` (host:port, [v6]:port, unix:path) only accepts local connections.
bool IsLoopbackAddress(std::string_view listen);

}  // namespace claims::server
