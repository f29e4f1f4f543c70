#include "server/api/auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "jwt/jwt.hpp"
#include "server/api/status_mapping.h"

namespace claims::server {
namespace {

// Tokens are a few hundred bytes; a bound keeps a hostile header from costing a parse of
// megabytes on every call.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;
constexpr std::string_view kBearer = "bearer ";
// Tokens whose identity is kept (see JwtAuthenticator::Cached): a few megabytes at most.
constexpr std::size_t kMaxCachedTokens = 10000;

std::string Header(const Metadata& metadata, const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

absl::Status MissingIdentity(std::string message) {
  return WithErrorInfo(absl::UnauthenticatedError(std::move(message)), "MISSING_IDENTITY");
}

absl::Status InvalidToken(std::string message) {
  return WithErrorInfo(absl::UnauthenticatedError(absl::StrCat("invalid token: ", message)),
                       "INVALID_TOKEN");
}

void AddRoles(std::string_view text, std::vector<std::string>& roles) {
  for (absl::string_view role : absl::StrSplit(absl::string_view(text.data(), text.size()),
                                               absl::ByAnyChar(", "), absl::SkipEmpty())) {
    roles.emplace_back(role);
  }
}

class HeaderAuthenticator final : public Authenticator {
 public:
  absl::StatusOr<Identity> Identify(const Metadata& metadata) const override {
    Identity identity;
    identity.actor = Header(metadata, kActorHeader);
    if (absl::StripAsciiWhitespace(identity.actor).empty()) {
      return MissingIdentity(absl::StrCat("missing ", kActorHeader));
    }
    AddRoles(Header(metadata, kRolesHeader), identity.roles);
    if (identity.roles.empty()) return MissingIdentity(absl::StrCat("missing ", kRolesHeader));
    identity.partner = Header(metadata, kPartnerHeader);
    identity.customer_tenant = Header(metadata, kCustomerTenantHeader);
    identity.partner_source = kPartnerHeader;
    identity.customer_tenant_source = kCustomerTenantHeader;
    return identity;
  }
};

struct VerificationKey {
  std::string id;
  std::string algorithm;
  std::string material;  // PEM public key or shared secret
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The key type a PEM public key holds (EVP_PKEY_RSA, EVP_PKEY_EC), or 0 if it is none.
int PublicKeyType(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return 0;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  return key == nullptr ? 0 : EVP_PKEY_get_base_id(key.get());
}

absl::StatusOr<VerificationKey> LoadKey(const config::JwtKeyConfig& config) {
  VerificationKey key{config.id, config.algorithm, ""};
  const std::string name = config.id.empty() ? config.algorithm : config.id;
  // The config parser checks this too, but a config built in code comes here unchecked.
  if (!config::IsJwtAlgorithm(config.algorithm)) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth key ", name, ": algorithm '", config.algorithm, "' is not allowed"));
  }
  if (absl::StartsWith(config.algorithm, "HS")) {
    const char* secret = std::getenv(config.secret_env.c_str());
    key.material = secret == nullptr ? "" : secret;
    // RFC 7518 3.2: an HMAC key at least as long as the hash (the last three digits, in bits).
    const std::size_t minimum = static_cast<std::size_t>(std::stoi(config.algorithm.substr(2))) / 8;
    if (key.material.size() < minimum) {
      return absl::InvalidArgumentError(absl::StrCat("auth key ", name, ": ", config.secret_env,
                                                     " must hold a secret of at least ", minimum,
                                                     " bytes for ", config.algorithm));
    }
    return key;
  }
  std::optional<std::string> pem = ReadFile(config.public_key_file);
  if (!pem.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth key ", name, ": cannot read ", config.public_key_file));
  }
  const int want = absl::StartsWith(config.algorithm, "RS") ? EVP_PKEY_RSA : EVP_PKEY_EC;
  if (PublicKeyType(*pem) != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "auth key ", name, ": ", config.public_key_file, " is not a PEM ",
        want == EVP_PKEY_RSA ? "RSA" : "EC", " public key, as ", config.algorithm, " needs"));
  }
  key.material = std::move(*pem);
  return key;
}

class JwtAuthenticator final : public Authenticator {
 public:
  JwtAuthenticator(const config::AuthConfig& config, std::vector<VerificationKey> keys,
                   std::function<absl::Time()> now)
      : config_(config), keys_(std::move(keys)), now_(std::move(now)) {}

  absl::StatusOr<Identity> Identify(const Metadata& metadata) const override {
    const std::string header = Header(metadata, kAuthorizationHeader);
    if (header.empty()) {
      return MissingIdentity("missing authorization: Bearer <token>");
    }
    if (header.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(absl::string_view(header).substr(0, kBearer.size()),
                                absl::string_view(kBearer.data(), kBearer.size()))) {
      return InvalidToken("authorization must be 'Bearer <token>'");
    }
    const std::string token(absl::StripAsciiWhitespace(header.substr(kBearer.size())));
    if (token.size() > kMaxTokenBytes) {
      return InvalidToken(absl::StrCat("longer than ", kMaxTokenBytes, " bytes"));
    }
    const absl::Time now = now_();
    if (std::optional<Identity> cached = Cached(token, now)) return *std::move(cached);
    // cpp-jwt reports most problems through the error code but throws on some malformed
    // input (bad JSON, claims of the wrong type); either way the token proves nothing.
    try {
      absl::StatusOr<Verified> verified = Verify(token, now);
      if (!verified.ok()) return verified.status();
      Remember(token, *verified, now);
      return std::move(verified->identity);
    } catch (const std::exception& e) {
      return InvalidToken(e.what());
    }
  }

 private:
  struct Verified {
    Identity identity;
    absl::Time good_until;  // exp plus the leeway
  };

  // A caller sends the same token with every call for its lifetime, and checking it again
  // costs more than the rest of a call's own work (cpp-jwt reads the PEM key each time): the
  // identity of a token that verified is kept, keyed by the whole token, until the token
  // expires. A changed token is another key, so only what verified is ever served.
  std::optional<Identity> Cached(const std::string& token, absl::Time now) const {
    absl::MutexLock lock(&cache_mu_);
    auto it = cache_.find(token);
    if (it == cache_.end()) return std::nullopt;
    if (now > it->second.good_until) {
      cache_.erase(it);
      return std::nullopt;
    }
    return it->second.identity;
  }

  void Remember(const std::string& token, const Verified& verified, absl::Time now) const {
    absl::MutexLock lock(&cache_mu_);
    if (cache_.size() >= kMaxCachedTokens) {
      absl::erase_if(cache_, [now](const auto& entry) { return now > entry.second.good_until; });
      // Still full of live tokens: start over rather than track recency; a miss only costs
      // one verification.
      if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    }
    cache_.insert_or_assign(token, verified);
  }

  absl::StatusOr<Verified> Verify(const std::string& token, absl::Time now) const {
    absl::StatusOr<const VerificationKey*> key = KeyFor(token);
    if (!key.ok()) return key.status();
    std::error_code ec;
    const jwt::jwt_object verified = jwt::decode(
        token, jwt::params::algorithms({(*key)->algorithm}), ec,
        jwt::params::secret((*key)->material), jwt::params::verify(true),
        jwt::params::issuer(config_.issuer),
        jwt::params::leeway(static_cast<uint32_t>(absl::ToInt64Seconds(config_.leeway))));
    if (ec) return InvalidToken(ec.message());
    const auto& claims = verified.payload().create_json_obj();
    // cpp-jwt checks exp only when it is there; a token without one would be good forever.
    auto exp = claims.find("exp");
    if (exp == claims.end() || !exp->is_number()) return InvalidToken("no exp claim");
    // Checked here too, against the same clock the cache uses.
    const absl::Time good_until =
        absl::FromUnixSeconds(exp->template get<int64_t>()) + config_.leeway;
    if (now > good_until) return InvalidToken("token expired");
    if (!HasAudience(claims)) {
      return InvalidToken(absl::StrCat("not for audience ", config_.audience));
    }
    Identity identity;
    identity.actor = StringClaim(claims, config_.claims.actor);
    if (identity.actor.empty()) {
      return InvalidToken(absl::StrCat("no ", config_.claims.actor, " claim"));
    }
    if (auto roles = claims.find(config_.claims.roles); roles != claims.end()) {
      if (roles->is_string()) {
        AddRoles(roles->template get<std::string>(), identity.roles);
      } else if (roles->is_array()) {
        for (const auto& role : *roles) {
          if (role.is_string()) identity.roles.push_back(role.template get<std::string>());
        }
      }
    }
    if (identity.roles.empty()) {
      return InvalidToken(absl::StrCat("no roles in the ", config_.claims.roles, " claim"));
    }
    identity.partner = StringClaim(claims, config_.claims.partner);
    identity.customer_tenant = StringClaim(claims, config_.claims.customer_tenant);
    identity.partner_source = absl::StrCat("the token's ", config_.claims.partner, " claim");
    identity.customer_tenant_source =
        absl::StrCat("the token's ", config_.claims.customer_tenant, " claim");
    return Verified{std::move(identity), good_until};
  }

  // The configured key the token's kid names; the only key when it names none.
  absl::StatusOr<const VerificationKey*> KeyFor(const std::string& token) const {
    std::error_code ec;
    // Only the header is read here; without verify the algorithm list is not consulted, and
    // Verify decodes again with the chosen key's one algorithm.
    const jwt::jwt_object unverified =
        jwt::decode(token, jwt::params::algorithms({"HS256"}), ec, jwt::params::verify(false));
    if (ec) return InvalidToken(ec.message());
    const auto& header = unverified.header().create_json_obj();
    auto kid = header.find("kid");
    if (kid == header.end() || !kid->is_string()) {
      if (keys_.size() == 1) return &keys_.front();
      return InvalidToken("no kid, and several keys are configured");
    }
    const std::string id = kid->template get<std::string>();
    for (const VerificationKey& key : keys_) {
      if (key.id == id) return &key;
    }
    return InvalidToken(absl::StrCat("unknown kid ", id));
  }

  template <typename Json>
  bool HasAudience(const Json& claims) const {
    auto aud = claims.find("aud");
    if (aud == claims.end()) return false;
    if (aud->is_string()) return aud->template get<std::string>() == config_.audience;
    if (!aud->is_array()) return false;
    for (const auto& entry : *aud) {
      if (entry.is_string() && entry.template get<std::string>() == config_.audience) return true;
    }
    return false;
  }

  template <typename Json>
  static std::string StringClaim(const Json& claims, const std::string& name) {
    auto it = claims.find(name);
    if (it == claims.end() || !it->is_string()) return std::string();
    return it->template get<std::string>();
  }

  const config::AuthConfig config_;
  const std::vector<VerificationKey> keys_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace

std::unique_ptr<Authenticator> NewHeaderAuthenticator() {
  return std::make_unique<HeaderAuthenticator>();
}

absl::StatusOr<std::unique_ptr<Authenticator>> NewJwtAuthenticator(
    const config::AuthConfig& config, std::function<absl::Time()> now) {
  if (config.keys.empty()) return absl::InvalidArgumentError("auth: no JWT key configured");
  std::vector<VerificationKey> keys;
  for (const config::JwtKeyConfig& key_config : config.keys) {
    absl::StatusOr<VerificationKey> key = LoadKey(key_config);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  return std::make_unique<JwtAuthenticator>(config, std::move(keys), std::move(now));
}

absl::StatusOr<std::unique_ptr<Authenticator>> NewAuthenticator(const config::AuthConfig& config) {
  if (config.mode == config::AuthMode::kJwt) return NewJwtAuthenticator(config);
  return NewHeaderAuthenticator();
}

}  // namespace claims::server
