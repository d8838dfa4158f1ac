"""Resident identity card numbers (公民身份号码, GB 11643-1999): 18 characters, the last a check.

Six digits of the issuing division, eight of the birth date, three of a sequence, and an
ISO 7064 MOD 11-2 check character (0-9 or X). A number is only ever validated here and then
sealed (shared/personal_data.py): it never reaches a log, a metric or a topic in the clear.
"""

from __future__ import annotations

import re
from datetime import date

_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_CHECK = "10X98765432"  # the check character for each weighted sum mod 11


def check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why `value` is not a valid identity card number (None: it is). Never echoes it."""
    if not _SHAPE.fullmatch(value):
        return "18 characters: 17 digits and a digit or X"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "its birth date (characters 7-14) is not a date"
    if not date(1900, 1, 1) <= born <= date.today():
        return "its birth date (characters 7-14) is out of range"
    if check_character(value[:17]) != value[17]:
        return "its check character does not match (GB 11643)"
    return None
