"""What the registry's path parameters must look like, for the OpenAPI documents.

The routes check them themselves (require_valid_code, require_proposal_id: a 422 problem
naming the field); these are the same rules as JSON Schema, published by the registry's and
the gateway's documents (shared/openapi.py). A check digit has no JSON Schema, so the code's
pattern is what a pattern can say: 17 ASCII digits, the 13th the urban/rural class 1-3.
"""

from __future__ import annotations

from typing import Any

from services.registry.establishment.workflow import PROPOSAL_ID
from shared.community_code import CODE_PATH_PARAMETER

PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "code": CODE_PATH_PARAMETER,
    "proposal_id": {
        "pattern": PROPOSAL_ID.pattern,
        "minLength": 21,
        "maxLength": 21,
        "description": "12-digit division code, '-', 8 lowercase hex digits.",
    },
}
