"""The error rates of 0001-community-code-check-digit.md; run from the project root.

For random 16-digit bodies with their check digit, every error of each kind; an error is
missed when the changed 17 digits still carry a valid check digit.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.registry.code import check_digit as mod_11_10

DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)  # fmt: skip


def damm(digits: str) -> str:
    interim = 0
    for ch in digits:
        interim = DAMM[interim][int(ch)]
    return str(interim)


def errors(code: str) -> dict[str, list[str]]:
    """Each kind of error a clerk makes, applied everywhere it can be in `code`."""
    n = len(code)
    return {
        "adjacent swap": [
            code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            for i in range(n - 1)
            if code[i] != code[i + 1]
        ],
        "jump swap": [
            code[:i] + code[i + 2] + code[i + 1] + code[i] + code[i + 3 :]
            for i in range(n - 2)
            if code[i] != code[i + 2]
        ],
        "twin error": [
            code[:i] + d + d + code[i + 2 :]
            for i in range(n - 1)
            if code[i] == code[i + 1]
            for d in "0123456789"
            if d != code[i]
        ],
    }


def miss_rates(check: Callable[[str], str], samples: int = 20_000) -> dict[str, float]:
    rng = random.Random(1)
    missed: dict[str, int] = {}
    total: dict[str, int] = {}
    for _ in range(samples):
        body = "".join(rng.choice("0123456789") for _ in range(16))
        for kind, changed in errors(body + check(body)).items():
            total[kind] = total.get(kind, 0) + len(changed)
            missed[kind] = missed.get(kind, 0) + sum(check(c[:16]) == c[16] for c in changed)
    return {kind: missed[kind] / total[kind] for kind in total}


if __name__ == "__main__":
    for name, check in (("ISO 7064 MOD 11,10", mod_11_10), ("Damm", damm)):
        rates = miss_rates(check)
        print(f"{name:<20}" + "  ".join(f"{k}: {v:.2%}" for k, v in rates.items()))
