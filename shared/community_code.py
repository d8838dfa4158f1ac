"""The 17-digit community code: one per community, its identity for life.

Layout (defined by the platform; the seeds do not publish one; see docs/registry.md):
  1-12  the 12-digit statistical division code (统计用区划代码): 1-6 county (GB/T 2260),
        7-9 town/street, 10-12 village-level unit
  13    major type: 1 urban, 2 rural, 3 industrial
  14-16 serial, 000 for the community itself
  17    check digit, ISO 7064 MOD 11,10 (always a digit)

MOD 11,10 detects every single-digit error. It misses an adjacent transposition of two
consecutive digits (0↔1, 1↔2, …, 8↔9, 9↔0) in exactly one of the ten running states each:
about 2.2% of adjacent transpositions, which `undetected_transposition` characterises exactly.
"""

from __future__ import annotations

import re

from shared.errors import FieldProblem, ValidationFailed

MAJOR_TYPE_DIGITS = {"urban": "1", "rural": "2", "industrial": "3"}
_CODE = re.compile(r"^[0-9]{17}$")  # ASCII digits: `\d` also takes ３ and ٣
_DIVISION = re.compile(r"^[0-9]{12}$")


def _step(state: int, digit: int) -> int:
    s = (state + digit) % 10 or 10
    return (2 * s) % 11


def _state_before(digits: str) -> int:
    state = 10
    for ch in digits:
        state = _step(state, int(ch))
    return state


def check_digit(digits: str) -> str:
    """ISO 7064 MOD 11,10 check digit over a string of decimal digits."""
    return str((11 - _state_before(digits)) % 10)


def issue_code(division_code: str, major_type: str, serial: int = 0) -> str:
    if not _DIVISION.match(division_code):
        raise ValueError("division code must be 12 digits")
    body = f"{division_code}{MAJOR_TYPE_DIGITS[major_type]}{serial:03d}"
    return body + check_digit(body)


def is_valid_code(code: str) -> bool:
    return bool(_CODE.match(code)) and code[12] in "123" and check_digit(code[:16]) == code[16]


def require_valid_code(code: str) -> str:
    """The code, or a ValidationFailed with the reason (for path parameters)."""
    if not is_valid_code(code):
        raise ValidationFailed(
            "not a community code",
            errors=[FieldProblem("code", "must be 17 digits with a valid MOD 11,10 check digit")],
        )
    return code


def division_of(code: str) -> str:
    return code[:12]


def undetected_transposition(digits: str, index: int) -> bool:
    """Whether swapping digits[index] and digits[index+1] keeps the check digit valid.

    True exactly when the two digits differ and the running state before them makes the two
    steps commute: a property of MOD 11,10, pinned by tests/unit/test_community_code.py.
    """
    a, b = int(digits[index]), int(digits[index + 1])
    state = _state_before(digits[:index])
    return a != b and _step(_step(state, a), b) == _step(_step(state, b), a)


# The code as a path parameter in every service's OpenAPI document: what a pattern can say
# (17 ASCII digits, the 13th the urban/rural class 1-3); the check digit is checked by
# `require_valid_code`.
CODE_PATH_PARAMETER: dict[str, object] = {
    "pattern": r"^[0-9]{12}[123][0-9]{4}$",
    "minLength": 17,
    "maxLength": 17,
    "description": "17-digit community code (12-digit division code, class 1-3, serial,"
    " MOD 11,10 check digit).",
}
