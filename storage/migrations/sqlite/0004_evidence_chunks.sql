-- Evidence content moves into evidence_chunks, one row per piece of at most a megabyte or so,
-- so neither an upload nor a download holds a whole document in memory. A streaming upload
-- writes its chunks under an evidence_uploads row; they stay invisible (no evidence row points
-- at them) until the decision that adds the evidence deletes that row in its transaction, and a
-- broken upload deletes its chunks with its row. start_time lets abandoned uploads be purged.
-- SQLite migrates in one transaction, so the old column is simply dropped.
CREATE TABLE IF NOT EXISTS evidence_chunks (
  claim_id CHAR(26) NOT NULL,
  evidence_id CHAR(26) NOT NULL,
  chunk_index INT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (claim_id, evidence_id, chunk_index)
);

CREATE TABLE IF NOT EXISTS evidence_uploads (
  id CHAR(26) NOT NULL PRIMARY KEY,
  claim_id CHAR(26) NOT NULL,
  start_time BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS evidence_uploads_by_start ON evidence_uploads (start_time);

INSERT INTO evidence_chunks (claim_id, evidence_id, chunk_index, data)
  SELECT claim_id, id, 0, content FROM evidence;

ALTER TABLE evidence DROP COLUMN content;
