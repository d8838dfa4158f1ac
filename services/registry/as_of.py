"""`as_of`, the time-travel query parameter, as the registry and the gateway both accept it."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

# In a query string '+' means a space, so an offset pasted unencoded (…T00:00:00+08:00)
# arrives as "…T00:00:00 08:00". Refused with the fix rather than guessed: one spelling.
_SPACE_FOR_PLUS = re.compile(r"T[\d:.]+ \d{2}(:?\d{2})?$")


def _offset_sign_encoded(value: object) -> object:
    if isinstance(value, str) and _SPACE_FOR_PLUS.search(value):
        raise ValueError(
            "the offset's '+' arrived as a space ('+' means a space in a query string):"
            " encode it as %2B, e.g. as_of=2025-06-30T00:00:00%2B08:00"
        )
    return value


AsOf = Annotated[AwareDatetime, BeforeValidator(_offset_sign_encoded)]
