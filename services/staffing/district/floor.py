"""The district floor (seed 003 §7.1.1): at least `per_10000` full-time community workers per
10,000 residents across a district (区、县、市). Pure: the district's figures in, the floor and
the finding out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal


@dataclass(frozen=True)
class FloorCheck:
    floor: int
    below: bool
    finding: str | None


def check_floor(residents: int, filled: int, per_10000: Decimal, source: str) -> FloorCheck:
    """ "不少于": the floor is the exact figure rounded up, so 18.2 needs 19 workers."""
    exact = Decimal(residents) * per_10000 / 10000
    floor = int(exact.to_integral_value(rounding=ROUND_CEILING))
    if filled >= floor:
        return FloorCheck(floor, False, None)
    finding = (
        f"{filled} filled positions, below the floor of {floor}: at least {per_10000} per"
        f" 10,000 of {residents} residents = {exact.normalize():f}, rounded up ({source})"
    )
    return FloorCheck(floor, True, finding)
