#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Early-return helpers for Status and StatusOr (Debian's absl 20220623 has none). Names are made
// unique with __COUNTER__ so nested uses (a lambda inside a macro argument) do not shadow.
#define CLAIMS_STORAGE_CONCAT_INNER(a, b) a##b
#define CLAIMS_STORAGE_CONCAT(a, b) CLAIMS_STORAGE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr) \
  RETURN_IF_ERROR_IMPL(CLAIMS_STORAGE_CONCAT(status_, __COUNTER__), expr)
#define RETURN_IF_ERROR_IMPL(status, expr)                         \
  do {                                                             \
    if (absl::Status status = (expr); !status.ok()) return status; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(CLAIMS_STORAGE_CONCAT(status_or_, __COUNTER__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL(status_or, lhs, rexpr) \
  auto status_or = (rexpr);                          \
  if (!status_or.ok()) return status_or.status();    \
  lhs = std::move(status_or).value()
