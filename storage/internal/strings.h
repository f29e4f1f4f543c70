#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace claims::storage::internal {

// Debian's absl is built with its own string_view type, which std::string_view does not
// convert to; the interfaces here use std::string_view, absl's string functions take this.
inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace claims::storage::internal
