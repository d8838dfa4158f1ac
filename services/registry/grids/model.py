"""Grids and micro-grids of a community (定组织架构; seeds 004 §三, 000 §二(三)2). Pure: no I/O.

A grid has a 17-digit code of its own: its community's code with serial 001-999 in digits
14-16 and a fresh check digit (the community itself holds serial 000). Micro-grids are numbered
per community (`<community code>-M0001`), so a micro-grid keeps its id when a merge or a split
moves it to another grid. Serials are never reused: a merged or split grid is closed, not
deleted, and its successors get new serials.

Every change is an event on the community's stream, so the community's time travel includes
its grids and one `If-Match` version guards both.

This module: the grid's values and its codes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.community_code import check_digit
from shared.errors import FieldProblem
from shared.values import Area, CommunityCode, Count, Name, Record

GridKind = Literal["residential", "industrial", "office_tower", "market", "demolition_site"]


# 专属网格 (seed 004 §三): dedicated to one object; the household band does not apply to them.
DEDICATED_KINDS = frozenset({"office_tower", "market", "demolition_site"})


# 一企一格 / 一园一格 / 一楼一格 (seed 000 §二(三)2); residential micro-grids group households.
MicroGridKind = Literal["residential", "enterprise", "park", "building"]


MAX_GRIDS = 999


class GridFigures(Record):
    """What a grid is sized by."""

    households: Count = 0
    population: Count = 0
    area_km2: Area = Decimal(0)
    business_entities: Count = 0

    def __add__(self, other: GridFigures) -> GridFigures:
        return GridFigures(
            households=self.households + other.households,
            population=self.population + other.population,
            area_km2=self.area_km2 + other.area_km2,
            business_entities=self.business_entities + other.business_entities,
        )


class MicroGrid(Record):
    id: str
    name: Name
    kind: MicroGridKind
    households: Count = 0
    business_entities: Count = 0


class GridSpec(Record):
    """A grid as an event records it: code, name, kind, figures, micro-grids."""

    grid: CommunityCode
    name: Name
    kind: GridKind
    figures: GridFigures
    micro_grids: list[MicroGrid] = Field(default_factory=list)


def grid_code(community_code: str, serial: int) -> str:
    body = f"{community_code[:13]}{serial:03d}"
    return body + check_digit(body)


def micro_grid_id(community_code: str, serial: int) -> str:
    return f"{community_code}-M{serial:04d}"


def check_kind(kind: str, major_type: str, field_name: str = "kind") -> list[FieldProblem]:
    """Industrial communities divide into industrial grids; others into residential ones."""
    if kind in DEDICATED_KINDS:
        return []
    expected = "industrial" if major_type == "industrial" else "residential"
    if kind != expected:
        return [
            FieldProblem(
                field_name,
                f"a {major_type} community's grids are {expected} (or dedicated: "
                + ", ".join(sorted(DEDICATED_KINDS))
                + ")",
            )
        ]
    return []
