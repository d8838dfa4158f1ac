-- One data key per person whose personal fields a service's events carry (crypto-shredding,
-- shared/personal_data.py). Events hold those fields only sealed with the person's key, and
-- the hash chain covers the sealed form; deleting the key erases the fields everywhere (the
-- log, its backups, the topic, every subscriber's copy) while every hash still verifies.
-- Deliberately not append-only: erasure is the DELETE of a row.
CREATE TABLE personal_keys (
    subject     text COLLATE "C" PRIMARY KEY,
    data_key    bytea       NOT NULL CHECK (length(data_key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
