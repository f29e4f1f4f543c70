-- The outbox clustered by partition: a consumer of one partition reads its events from a few
-- adjacent pages instead of one page per event. With the primary key on id alone, a partition's
-- events sit one in P along the table, so reading 100 of them from an old sequence was 100
-- lookups on 100 pages; once the table outgrew the buffer pool each was a read from disk (the
-- growth benchmark: 1.6 ms at 100k claims, 10 ms at 10M). Within a partition rows stay in
-- insertion order, so the sequencer's numbering and the events_by_sequence reads are unchanged;
-- the unique key on id keeps AUTO_INCREMENT indexed and is what the sequencer updates by.
-- InnoDB rebuilds the table in place and lets writers in while it does (ALGORITHM=INPLACE,
-- LOCK=NONE).
ALTER TABLE events
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (partition_id, id),
  ADD UNIQUE KEY events_by_id (id),
  ALGORITHM=INPLACE, LOCK=NONE;
