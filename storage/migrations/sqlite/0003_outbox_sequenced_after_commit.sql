-- The outbox's new shape (docs/storage.md, "The outbox"). SQLite admits one writer at a time,
-- so its writers still take sequences from event_counter as they insert: there is no
-- concurrency to lose. The table has the same columns as on MySQL, where events are sequenced
-- after commit.
--
-- claims.partition_id: the outbox partition of a claim, fixed when the claim is created;
-- existing claims were all in the one partition, 0. events.id orders events by insertion;
-- existing events keep their sequences (and their order: ids follow sequences) and take their
-- claim's partition, 0. event_counter.purged_through: every sequence at or below it was removed
-- by retention.
ALTER TABLE claims ADD COLUMN partition_id INT NOT NULL DEFAULT 0;

CREATE TABLE events_new (
  id INTEGER PRIMARY KEY,
  sequence BIGINT,
  partition_id INT NOT NULL DEFAULT 0,
  type VARCHAR(191) NOT NULL,
  claim_id CHAR(26) NOT NULL,
  partner_id VARCHAR(191) NOT NULL,
  time BIGINT NOT NULL,
  attributes TEXT NOT NULL
);

INSERT INTO events_new (id, sequence, partition_id, type, claim_id, partner_id, time, attributes)
  SELECT sequence, sequence, 0, type, claim_id, partner_id, time, attributes FROM events
  ORDER BY sequence;

DROP TABLE events;

ALTER TABLE events_new RENAME TO events;

CREATE INDEX IF NOT EXISTS events_by_sequence ON events (sequence, id);

CREATE INDEX IF NOT EXISTS events_by_partition ON events (partition_id, sequence);

ALTER TABLE event_counter ADD COLUMN purged_through BIGINT NOT NULL DEFAULT 0;
