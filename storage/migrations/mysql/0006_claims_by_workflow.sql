-- The claims of one workflow version by id, for migrating them to a newer version and
-- recomputing their deadlines a page at a time (ListClaimsOfWorkflow, CountClaimsOfWorkflow).
-- state is last so the filter on the running states and the count are read from the index
-- alone, while the order by id still comes from it.
CREATE INDEX IF NOT EXISTS claims_by_workflow ON claims (workflow_name, workflow_version, id, state);
