-- Evidence content moves into evidence_chunks, one row per piece of at most a megabyte or so,
-- so neither an upload nor a download holds a whole document in memory. A streaming upload
-- writes its chunks under an evidence_uploads row; they stay invisible (no evidence row points
-- at them) until the decision that adds the evidence deletes that row in its transaction, and a
-- broken upload deletes its chunks with its row. start_time lets abandoned uploads be purged.
--
-- Every statement can run again after an interrupted migration: MySQL commits each DDL by
-- itself. That is why the old content column is emptied and made nullable rather than dropped:
-- a rerun of the copy must still find the column.
CREATE TABLE IF NOT EXISTS evidence_chunks (
  claim_id CHAR(26) NOT NULL,
  evidence_id CHAR(26) NOT NULL,
  chunk_index INT NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (claim_id, evidence_id, chunk_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS evidence_uploads (
  id CHAR(26) NOT NULL,
  claim_id CHAR(26) NOT NULL,
  start_time BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY evidence_uploads_by_start (start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE evidence MODIFY content LONGBLOB NULL;

INSERT IGNORE INTO evidence_chunks (claim_id, evidence_id, chunk_index, data)
  SELECT claim_id, id, 0, content FROM evidence WHERE content IS NOT NULL;

UPDATE evidence SET content = NULL WHERE content IS NOT NULL;
