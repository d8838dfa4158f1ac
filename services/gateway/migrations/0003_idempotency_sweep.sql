-- The sweeper deletes keys past their time to live, oldest first.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
