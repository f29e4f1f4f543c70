#pragma once

// A CPOR claim as a partner starts one, for tests that drive the engine and the repository
// directly rather than through the API: the draft Engine::Create takes, and the proof of
// execution a partner uploads before submitting.

#include <string>

#include "absl/time/time.h"
#include "storage/ids.h"
#include "workflow/claim.h"
#include "workflow/definition.h"

namespace claims::testing {

// A new claim of `definition`'s workflow and version for `partner`'s tenant, created at `now`.
inline workflow::Claim CporDraft(const workflow::Definition& definition,
                                 const workflow::Actor& partner, absl::Time now) {
  workflow::Claim draft;
  draft.id = storage::NewId(now);
  draft.partner_id = partner.partner_id;
  draft.fields.mpn_id = "1234567";
  draft.fields.customer = {"6f1c2a9e-0000-4000-8000-000000000001", "Fabrikam"};
  draft.fields.products = {"dynamics_365_sales"};
  draft.fields.activity = "revenue_association";
  draft.workflow_name = definition.name;
  draft.workflow_version = definition.version;
  draft.create_time = now;
  draft.created_by = partner.id;
  return draft;
}

// A three-byte PDF, its metadata as the engine decides on it and its bytes for storage.
inline workflow::Evidence ProofOfExecution(const workflow::Actor& uploader, absl::Time now) {
  workflow::Evidence poe;
  poe.file_name = "poe.pdf";
  poe.content_type = "application/pdf";
  poe.size_bytes = 3;
  poe.content = "pdf";
  poe.sha256_hex = std::string(64, 'a');
  poe.uploaded_by = uploader.id;
  poe.upload_time = now;
  return poe;
}

}  // namespace claims::testing
