-- The number of history entries of each claim, kept on the claim row, so a decision takes its
-- next history sequence from the version-checked UPDATE it makes anyway (RETURNING) instead of
-- reading MAX(sequence) first.
ALTER TABLE claims ADD COLUMN history_count BIGINT NOT NULL DEFAULT 0;

UPDATE claims SET history_count =
  (SELECT COALESCE(MAX(sequence), 0) FROM history WHERE history.claim_id = claims.id);
