#pragma once

// Signing keys made for a test run, so that no private key sits in the repository, and tokens
// signed with them as an identity provider would issue them.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "jwt/jwt.hpp"

namespace claims::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

inline std::string PemOf(EVP_PKEY* key, bool is_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (is_private) {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio.get(), key);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline KeyPair PemPair(EVP_PKEY* raw) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  return {PemOf(key.get(), true), PemOf(key.get(), false)};
}

inline KeyPair NewRsaKeyPair() { return PemPair(EVP_RSA_gen(2048)); }
inline KeyPair NewEcKeyPair() { return PemPair(EVP_EC_gen("P-256")); }

inline int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What an identity provider puts in a token for one caller; sign with Token(...).signature().
struct TokenClaims {
  std::string issuer;
  std::string audience;
  std::string subject;
  std::vector<std::string> roles;
  std::string partner;          // partner_id; empty: left out
  std::string customer_tenant;  // customer_tenant_id; empty: left out
  int64_t expires_in_seconds = 300;
};

inline jwt::jwt_object Token(const TokenClaims& claims, const std::string& algorithm,
                             const std::string& key) {
  jwt::jwt_object token{jwt::params::algorithm(algorithm), jwt::params::secret(key)};
  token.add_claim("iss", claims.issuer);
  token.add_claim("aud", claims.audience);
  token.add_claim("sub", claims.subject);
  token.add_claim("exp", UnixNow() + claims.expires_in_seconds);
  if (!claims.partner.empty()) token.add_claim("partner_id", claims.partner);
  if (!claims.customer_tenant.empty()) {
    token.add_claim("customer_tenant_id", claims.customer_tenant);
  }
  token.payload().add_claim("roles", claims.roles);
  return token;
}

}  // namespace claims::testing
