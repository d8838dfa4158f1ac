-- Responses to commands sent with an Idempotency-Key: a retry gets the first answer.
CREATE TABLE idempotency_keys (
    client_id    text        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,  -- SHA-256 of method, path and body
    command_id   uuid        NOT NULL,
    status       integer,               -- NULL while the first request is in flight
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);

-- Every command a client sent, whatever its outcome. Append-only, like an event log.
CREATE TABLE command_audit (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    client_id       text        NOT NULL,
    client_kind     text        NOT NULL,
    method          text        NOT NULL,
    path            text        NOT NULL,
    status          integer     NOT NULL,
    correlation_id  text,
    command_id      uuid,
    idempotency_key text
);
CREATE FUNCTION wuding_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'command_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER command_audit_append_only BEFORE UPDATE OR DELETE ON command_audit
    FOR EACH ROW EXECUTE FUNCTION wuding_refuse_audit_change();
CREATE TRIGGER command_audit_no_truncate BEFORE TRUNCATE ON command_audit
    FOR EACH STATEMENT EXECUTE FUNCTION wuding_refuse_audit_change();
