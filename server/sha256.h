#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace claims::server {

// SHA-256 in lower-case hex, the form the API and the database carry (workflow sources,
// evidence, idempotency scopes). Its own small library: claimsctl checks evidence with it too.
std::string Sha256Hex(std::string_view data);

// The same over content that arrives in pieces (streamed evidence).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(std::string_view data);
  // The digest of everything given to Update; call once.
  std::string FinalHex();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace claims::server
