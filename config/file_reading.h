#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace claims::config {

// The contents of the regular file at `path`, if it holds at most `max_bytes`. The size is
// checked before anything is read and again while reading (the file may grow), so memory never
// follows the size of a file that is refused. NOT_FOUND when the file cannot be opened,
// FAILED_PRECONDITION when it is not a regular file (a FIFO or a device would block or never
// end), INVALID_ARGUMENT "PATH: N bytes, more than the limit of M" when it is too large.
absl::StatusOr<std::string> ReadFileWithin(const std::string& path, std::size_t max_bytes);

}  // namespace claims::config
