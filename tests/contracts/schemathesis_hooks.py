"""schemathesis hooks for tests/e2e/test_contracts.py (SCHEMATHESIS_HOOKS names this module).

`positive_data_acceptance` refuses any 422 to schema-valid data. A few of the server's rules
have no JSON Schema, so a schema-valid request can rightly be a 422; this check replaces it
and lets a 422 through only when every field it names is one of those rules (anything else,
a length, a pattern, a missing bound, is a document that says less than the server checks).
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

# (field, the start of the reason) for the rules JSON Schema cannot say; "" is any field.
RULES_WITHOUT_SCHEMA = (
    ("code", "must be 17 digits with a valid MOD 11,10 check digit"),  # a check digit
    ("cursor", "not a cursor"),  # an opaque token only the server makes
    ("subtype", ""),  # which subtypes belong to which major type (DOMAIN.md)
    ("documents", "the proposal needs"),  # the documents a workflow step requires
    # Required of the city platform only: one document serves every client.
    ("division_prefix", "required for a client without a district"),
    # JSON Schema's integer takes 3.0; the server wants an integer literal (shared/values.py).
    ("", "Input should be a valid integer"),
    # A JSON number's decimal places: multipleOf on binary floats is inexact.
    ("", "Decimal input should have no more than"),
    # X-Purpose is UTF-8 text of 5-200 characters once decoded (raw or percent-encoded).
    ("header.X-Purpose", ""),
    # An identity number's check character and birth date (GB 11643).
    ("id_number", "its "),
    # Staffing's domain rules: the post catalogue and the quota, a worker's district, the
    # grid team's roles, the regions its packs cover.
    ("post", ""),
    ("position_id", "in district"),
    ("worker_id", ""),
    ("member_ref", ""),
    ("micro_grid", ""),
    ("division_code", "no staffing policy region covers it"),
    # Funding's ledger rules: the community's budget lines and payers, and its balances.
    ("line", "no budget line"),
    ("payer", ""),
    ("amount_fen", ""),
    ("reverses", ""),
    ("year", "a roll-over is to this budget year"),
)
ACCEPTED = {401, 403, 404, 409, 429}


def _rule_without_schema(problem: dict[str, Any]) -> bool:
    errors = problem.get("errors") or []
    return bool(errors) and all(
        any(
            (field == "" or e["field"] == field) and e["reason"].startswith(reason)
            for field, reason in RULES_WITHOUT_SCHEMA
        )
        for e in errors
    )


@schemathesis.check
def valid_data_is_accepted_but_for_rules_without_schema(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None
    if status == 422 and _rule_without_schema(json.loads(response.content)):
        return None
    raise AssertionError(f"schema-valid data refused: {status} {response.content[:400]!r}")
