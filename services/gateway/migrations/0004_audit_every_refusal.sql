-- Every refusal is audited, reads included (401, 403, the gateway's own 400/409/422), not only
-- commands: `client_id` is 'unauthenticated' when no known key was sent. `division_code` is
-- the division the request named (what a refused client tried to reach), when it named one.
-- `path` is within /v1 for every row, as the service sees it. A read the service refused
-- (not a 404) is audited too.
ALTER TABLE command_audit ADD COLUMN division_code text;
