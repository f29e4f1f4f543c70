#include "config/file_reading.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace claims::config {
namespace {

absl::Status TooLarge(const std::string& path, std::size_t size, std::size_t max_bytes) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", size, " bytes, more than the limit of ", max_bytes));
}

absl::Status GrewTooLarge(const std::string& path, std::size_t max_bytes) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": grew past the limit of ", max_bytes, " bytes while being read"));
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> ReadFileWithin(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > max_bytes) return TooLarge(path, size, max_bytes);

  std::string contents;
  contents.resize(size + 1);
  std::size_t filled = 0;
  for (;;) {
    if (filled == contents.size()) {
      // Grown since fstat: read on, but never past one byte over the limit.
      if (filled > max_bytes) return GrewTooLarge(path, max_bytes);
      contents.resize(std::min(max_bytes + 1, contents.size() * 2));
    }
    const ssize_t got = ::read(fd.get(), contents.data() + filled, contents.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  if (filled > max_bytes) return GrewTooLarge(path, max_bytes);
  contents.resize(filled);
  return contents;
}

}  // namespace claims::config
