-- Why a command was refused (4xx): the problem's title, detail and field reasons, which name
-- the rule and its source document. Null for commands that went through.
ALTER TABLE command_audit ADD COLUMN refusal jsonb;
