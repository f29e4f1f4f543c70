-- The number of history entries of each claim, kept on the claim row, so a decision takes its
-- next history sequence from the version-checked UPDATE it makes anyway (LAST_INSERT_ID(expr))
-- instead of reading MAX(sequence) first. A rerun after an interrupted migration finds the
-- column there (the migrator treats "duplicate column" as done) and recounts, which gives the
-- same numbers: nothing writes history before the migration is recorded.
ALTER TABLE claims ADD COLUMN history_count BIGINT NOT NULL DEFAULT 0;

UPDATE claims SET history_count =
  (SELECT COALESCE(MAX(sequence), 0) FROM history WHERE history.claim_id = claims.id);
