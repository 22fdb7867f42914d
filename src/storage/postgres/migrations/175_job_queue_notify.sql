-- Idle workers of other processes are told at once when a job may have become claimable, instead of
-- finding it at their next poll: a NOTIFY on channel bulkwrite_jobs, its payload the schema of the jobs
-- table (workers of other schemas in the same database pass it by). NOTIFY is sent when the transaction
-- commits, and one per transaction however many rows fired it.
CREATE FUNCTION bulkwrite_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bulkwrite_jobs', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$$;

-- A new job; a job handed back by a worker that stopped (its lease cleared, still INPROGRESS); a held job
-- let go (a fault rule's hold released).
CREATE TRIGGER jobs_queued AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION bulkwrite_jobs_notify();
CREATE TRIGGER jobs_handed_back AFTER UPDATE OF lease_owner ON jobs FOR EACH ROW
  WHEN (NEW.lease_owner IS NULL AND NEW.status = 'INPROGRESS') EXECUTE FUNCTION bulkwrite_jobs_notify();
CREATE TRIGGER fault_jobs_released AFTER UPDATE OF held ON fault_jobs FOR EACH ROW
  WHEN (OLD.held AND NOT NEW.held) EXECUTE FUNCTION bulkwrite_jobs_notify();
