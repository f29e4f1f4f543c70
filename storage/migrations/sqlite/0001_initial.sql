-- Initial schema (SQLite 3.35+). Times are BIGINT microseconds since the Unix epoch,
-- UTC; the largest BIGINT stands for "never" (e.g. next_deadline with no armed timer), the
-- smallest for "unset". Every child table is keyed by claim_id first so a claim's rows stay
-- together (and on one shard when sharded by claim or partner). The whole migration runs in
-- one exclusive transaction.

CREATE TABLE IF NOT EXISTS workflows (
  name VARCHAR(191) NOT NULL,
  version BIGINT NOT NULL,
  sha256 CHAR(64) NOT NULL,
  source TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);

CREATE TABLE IF NOT EXISTS claims (
  id CHAR(26) NOT NULL,
  partner_id VARCHAR(191) NOT NULL,
  mpn_id VARCHAR(191) NOT NULL,
  customer_tenant_id VARCHAR(191) NOT NULL,
  customer_name VARCHAR(512) NOT NULL,
  customer_contact_name VARCHAR(512) NOT NULL,
  customer_contact_email VARCHAR(512) NOT NULL,
  customer_contact_phone VARCHAR(64) NOT NULL,
  partner_contact_name VARCHAR(512) NOT NULL,
  partner_contact_email VARCHAR(512) NOT NULL,
  partner_contact_phone VARCHAR(64) NOT NULL,
  products TEXT NOT NULL,
  activity VARCHAR(191) NOT NULL,
  workflow_name VARCHAR(191) NOT NULL,
  workflow_version BIGINT NOT NULL,
  state VARCHAR(100) NOT NULL,
  state_entered_at BIGINT NOT NULL,
  sla_status VARCHAR(16) NOT NULL,
  next_deadline BIGINT NOT NULL,
  evidence_count INT NOT NULL,
  facts TEXT NOT NULL,
  version BIGINT NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  created_by VARCHAR(191) NOT NULL,
  write_token CHAR(26) NOT NULL,
  PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS claims_by_create ON claims (create_time, id);
CREATE INDEX IF NOT EXISTS claims_by_partner ON claims (partner_id, create_time, id);
CREATE INDEX IF NOT EXISTS claims_by_partner_state ON claims (partner_id, state, create_time, id);
CREATE INDEX IF NOT EXISTS claims_by_state ON claims (state, create_time, id);
CREATE INDEX IF NOT EXISTS claims_by_sla ON claims (sla_status, create_time, id);
CREATE INDEX IF NOT EXISTS claims_by_deadline ON claims (next_deadline);

CREATE TABLE IF NOT EXISTS timers (
  claim_id CHAR(26) NOT NULL,
  name VARCHAR(100) NOT NULL,
  position INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  started_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  warn_at BIGINT NOT NULL,
  warned INT NOT NULL,
  remaining_us BIGINT NOT NULL,
  next_fire_at BIGINT NOT NULL,
  PRIMARY KEY (claim_id, name),
  CONSTRAINT timers_claim FOREIGN KEY (claim_id) REFERENCES claims (id)
);

CREATE INDEX IF NOT EXISTS timers_by_next_fire ON timers (next_fire_at);

CREATE TABLE IF NOT EXISTS evidence (
  claim_id CHAR(26) NOT NULL,
  id CHAR(26) NOT NULL,
  file_name VARCHAR(512) NOT NULL,
  content_type VARCHAR(191) NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 CHAR(64) NOT NULL,
  uploaded_by VARCHAR(191) NOT NULL,
  upload_time BIGINT NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY (claim_id, id),
  CONSTRAINT evidence_claim FOREIGN KEY (claim_id) REFERENCES claims (id)
);

CREATE TABLE IF NOT EXISTS comments (
  claim_id CHAR(26) NOT NULL,
  id CHAR(26) NOT NULL,
  author_id VARCHAR(191) NOT NULL,
  perspective VARCHAR(16) NOT NULL,
  text TEXT NOT NULL,
  visibility VARCHAR(16) NOT NULL,
  create_time BIGINT NOT NULL,
  PRIMARY KEY (claim_id, id),
  CONSTRAINT comments_claim FOREIGN KEY (claim_id) REFERENCES claims (id)
);

CREATE TABLE IF NOT EXISTS history (
  claim_id CHAR(26) NOT NULL,
  sequence BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  name VARCHAR(191) NOT NULL,
  actor_id VARCHAR(191) NOT NULL,
  perspective VARCHAR(16) NOT NULL,
  time BIGINT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (claim_id, sequence),
  CONSTRAINT history_claim FOREIGN KEY (claim_id) REFERENCES claims (id)
);

-- The outbox. Sequences come from event_counter, whose single row every event-writing
-- transaction locks as its last statement: commits happen in sequence order, so a reader that
-- resumes after sequence N can never miss an event committed later with a smaller sequence.
CREATE TABLE IF NOT EXISTS events (
  sequence BIGINT NOT NULL,
  type VARCHAR(191) NOT NULL,
  claim_id CHAR(26) NOT NULL,
  partner_id VARCHAR(191) NOT NULL,
  time BIGINT NOT NULL,
  attributes TEXT NOT NULL,
  PRIMARY KEY (sequence)
);

CREATE TABLE IF NOT EXISTS event_counter (
  id INT NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (id)
);

INSERT OR IGNORE INTO event_counter (id, last_sequence) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS idempotency (
  scope VARCHAR(255) NOT NULL,
  request_id VARCHAR(191) NOT NULL,
  request_hash VARCHAR(128) NOT NULL,
  response BLOB NOT NULL,
  expire_time BIGINT NOT NULL,
  PRIMARY KEY (scope, request_id)
);

CREATE INDEX IF NOT EXISTS idempotency_by_expiry ON idempotency (expire_time);
