-- A read of personal data (a worker's record) states its purpose (header X-Purpose): the
-- purpose is kept with the read's audit row, granted or refused. Such a read is audited
-- whatever its outcome, and answered only once its row is written.
ALTER TABLE command_audit ADD COLUMN purpose text;
