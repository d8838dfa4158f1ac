"""The registration rules (seed 000 §二(一), DOMAIN.md §1). Pure: no I/O.

Rules return field-level problems rather than raising, so a caller sees every reason at once.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from shared.errors import FieldProblem
from shared.values import (
    is_digits,
)

# GB/T 2260 province-level prefixes: the first two digits of every county code.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split()
)


@cache
def catalogue() -> dict[str, Any]:
    """Types and subtypes (policy data, see catalogue.json)."""
    text = (resources.files("services.registry") / "catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def check_registration(
    *,
    name: str,
    division_code: str,
    major_type: str,
    subtype: str,
    area_contiguous: bool = True,
    holds_trust_areas: bool = False,
) -> list[FieldProblem]:
    """Every reason a registration is refused (empty: it may proceed)."""
    problems = check_division_code(division_code)
    problems += check_contiguity(major_type, area_contiguous, holds_trust_areas)
    cat = catalogue()
    if major_type not in cat["major_types"]:
        known = ", ".join(cat["major_types"])
        problems.append(FieldProblem("major_type", f"unknown major type; one of: {known}"))
    spec = cat["subtypes"].get(subtype)
    if spec is None:
        known = "、".join(cat["subtypes"])
        problems.append(FieldProblem("subtype", f"unknown subtype; one of: {known}"))
    elif spec["major_type"] != major_type:
        problems.append(
            FieldProblem("subtype", f"{subtype} belongs to major type {spec['major_type']}")
        )
    elif spec.get("name_suffix") and not name.endswith(spec["name_suffix"]):
        problems.append(
            FieldProblem(
                "name",
                f"an industrial community of subtype {subtype} must be named"
                f" 'XX{spec['name_suffix']}' (seed 000 §二(一)2)",
            )
        )
    return problems


def check_contiguity(
    major_type: str, area_contiguous: bool, holds_trust_areas: bool
) -> list[FieldProblem]:
    """An industrial community's own area adjoins (原则上不得由不接壤的区域组成); a part that
    does not may only be held in trust (可暂为托管), seed 000 §二(一)2. The seeds set no such
    rule for urban and rural communities, so trust areas are an industrial matter only."""
    if major_type == "industrial" and not area_contiguous:
        return [
            FieldProblem(
                "area_contiguous",
                "an industrial community may not be made of areas that do not adjoin"
                " (seed 000 §二(一)2): register the contiguous area and list a part that does"
                " not adjoin under trust_areas (暂为托管)",
            )
        ]
    if major_type in {"urban", "rural"} and holds_trust_areas:
        return [
            FieldProblem(
                "trust_areas",
                "holding a non-adjoining area in trust (托管) applies to industrial communities"
                " (seed 000 §二(一)2)",
            )
        ]
    return []


def check_division_code(division_code: str) -> list[FieldProblem]:
    if not is_digits(division_code, 12):
        return [FieldProblem("division_code", "must be the 12-digit statistical division code")]
    problems = []
    if division_code[:2] not in PROVINCE_PREFIXES:
        problems.append(
            FieldProblem("division_code", f"{division_code[:2]} is not a GB/T 2260 province code")
        )
    if division_code[6:9] == "000":
        problems.append(FieldProblem("division_code", "digits 7-9 (town/street) must not be 000"))
    if division_code[9:12] == "000":
        problems.append(
            FieldProblem("division_code", "digits 10-12 (village-level unit) must not be 000")
        )
    return problems


def service_centre_name(name: str, subtype: str) -> str | None:
    """ "XX工业社区(党群)服务中心" for industrial subtypes (seed 000 §二(一)2)."""
    spec = catalogue()["subtypes"].get(subtype, {})
    suffix, centre = spec.get("name_suffix"), spec.get("service_centre_suffix")
    if not suffix or not centre:
        return None
    return name[: -len(suffix)] + centre


def has_residents_committee(major_type: str) -> bool:
    """An industrial community has no residents' committee (seed 000 §二(一)1)."""
    return bool(catalogue()["major_types"][major_type]["has_residents_committee"])
