#include "storage/ids.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"

namespace claims::storage {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The 80 random bits as a big-endian byte array, so incrementing is a carry loop.
using Entropy = std::array<uint8_t, 10>;

class UlidGenerator {
 public:
  std::string Next(absl::Time now) {
    absl::MutexLock lock(&mu_);
    int64_t millis = absl::ToUnixMillis(now);
    if (millis < 0) millis = 0;
    auto ms = static_cast<uint64_t>(millis) & ((uint64_t{1} << 48) - 1);
    if (ms <= last_ms_ && has_last_) {
      // Same millisecond, or the clock went backwards: stay on the last timestamp and count up,
      // which keeps ids from this process strictly increasing.
      ms = last_ms_;
      if (!Increment(entropy_)) {
        // 2^80 ids in one millisecond cannot happen; moving to the next millisecond keeps order.
        ++ms;
        Randomize();
      }
    } else {
      Randomize();
    }
    last_ms_ = ms;
    has_last_ = true;
    return Encode(ms, entropy_);
  }

 private:
  void Randomize() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (uint8_t& b : entropy_) b = absl::Uniform<uint8_t>(bitgen_);
    // Leaves room for many increments within one millisecond before the carry runs out.
    entropy_[0] &= 0x7f;
  }

  static bool Increment(Entropy& e) {
    for (size_t i = e.size(); i-- > 0;) {
      if (++e[i] != 0) return true;
    }
    return false;
  }

  static std::string Encode(uint64_t ms, const Entropy& e) {
    std::string out(26, '0');
    for (int i = 9; i >= 0; --i) {
      out[static_cast<size_t>(i)] = kCrockford[ms & 31];
      ms >>= 5;
    }
    // 80 bits -> 16 characters of 5 bits, most significant first.
    unsigned __int128 v = 0;
    for (uint8_t b : e) v = (v << 8) | b;
    for (int i = 25; i >= 10; --i) {
      out[static_cast<size_t>(i)] = kCrockford[static_cast<size_t>(v & 31)];
      v >>= 5;
    }
    return out;
  }

  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
  Entropy entropy_ ABSL_GUARDED_BY(mu_){};
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  bool has_last_ ABSL_GUARDED_BY(mu_) = false;
};

UlidGenerator& Generator() {
  static UlidGenerator* generator = new UlidGenerator();
  return *generator;
}

}  // namespace

std::string NewId(absl::Time now) { return Generator().Next(now); }

bool IsValidId(std::string_view id) {
  if (id.size() != 26) return false;
  // The first character encodes only 3 bits of the 48-bit timestamp.
  if (id[0] > '7') return false;
  for (char c : id) {
    if (kCrockford.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace claims::storage
