#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace claims::workflow::internal {

// The edit distance (insertions, deletions, substitutions, swaps of neighbours) between `a`
// and `b`, or `limit + 1` when it exceeds `limit`.
std::size_t EditDistance(std::string_view a, std::string_view b, std::size_t limit);

// " (did you mean 'x'?)" for the closest candidate within a typo's distance of `word`,
// or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace claims::workflow::internal
