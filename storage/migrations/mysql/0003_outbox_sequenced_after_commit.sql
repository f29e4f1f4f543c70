-- The outbox without a row every writer locks (docs/storage.md, "The outbox"). A decision
-- inserts its events with no sequence; a sequencer pass, run by whoever reads the outbox, gives
-- the committed ones the next sequences in insertion order while holding event_counter, which
-- only readers touch. Sequences therefore become visible in order, and a reader that resumes
-- after N never finds a smaller one later.
--
-- claims.partition_id: the outbox partition of a claim, fixed when the claim is created (a hash
-- of its id over the configured count); existing claims were all in the one partition, 0.
-- events.id orders events in the order their transactions inserted them; existing events get
-- ids in sequence order (ALTER numbers the rows in primary-key order), keep their sequences and
-- take their claim's partition, 0. event_counter.purged_through: every sequence at or below it
-- was removed by retention.
ALTER TABLE claims ADD COLUMN partition_id INT NOT NULL DEFAULT 0;

ALTER TABLE events
  DROP PRIMARY KEY,
  ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST,
  MODIFY sequence BIGINT NULL,
  ADD COLUMN partition_id INT NOT NULL DEFAULT 0 AFTER sequence,
  ADD KEY events_by_sequence (sequence, id),
  ADD KEY events_by_partition (partition_id, sequence);

ALTER TABLE event_counter ADD COLUMN purged_through BIGINT NOT NULL DEFAULT 0;
