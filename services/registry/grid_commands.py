"""Grid commands: create, resize, add a micro-grid, merge, split, assign members.

Each command loads the community, checks every reason to refuse at once, records the grid
event(s) on the community's stream, then re-evaluates the size findings of the grids it
touched (DOMAIN.md §1 "Grids"): findings are raised and resolved, never refusals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from services.registry import domain
from services.registry.findings import finding_events, grid_breaches
from services.registry.grids import (
    MAX_GRIDS,
    GridCreated,
    GridFigures,
    GridKind,
    GridMembersAssigned,
    GridResized,
    GridsMerged,
    GridSpec,
    GridSplit,
    MicroGrid,
    MicroGridAdded,
    MicroGridKind,
    check_kind,
)
from services.registry.handlers import Handlers
from shared.commands import CommandContext
from shared.errors import FieldProblem, ValidationFailed
from shared.eventstore import DomainEvent, Envelope
from shared.values import refusing_invalid_values


@dataclass(frozen=True)
class NewMicroGrid:
    name: str
    kind: MicroGridKind
    households: int = 0
    business_entities: int = 0


@dataclass(frozen=True)
class CreateGrid:
    command_type: ClassVar[str] = "CreateGrid"  # stable: the metadata's `command`
    code: str
    name: str
    kind: GridKind
    figures: GridFigures
    micro_grids: list[NewMicroGrid] = field(default_factory=list)
    expected_version: int | None = None


@dataclass(frozen=True)
class ResizeGrid:
    command_type: ClassVar[str] = "ResizeGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    figures: GridFigures
    micro_grids: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # id → (households, entities)
    expected_version: int | None = None


@dataclass(frozen=True)
class AddMicroGrid:
    command_type: ClassVar[str] = "AddMicroGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    micro_grid: NewMicroGrid
    expected_version: int | None = None


@dataclass(frozen=True)
class MergeGrids:
    command_type: ClassVar[str] = "MergeGrids"  # stable: the metadata's `command`
    code: str
    sources: list[str]
    name: str
    kind: GridKind | None = None  # None: the sources' common kind
    expected_version: int | None = None


@dataclass(frozen=True)
class SplitPart:
    name: str
    kind: GridKind
    figures: GridFigures
    micro_grids: list[str]


@dataclass(frozen=True)
class SplitGrid:
    command_type: ClassVar[str] = "SplitGrid"  # stable: the metadata's `command`
    code: str
    source: str
    parts: list[SplitPart]
    expected_version: int | None = None


@dataclass(frozen=True)
class AssignToGrid:
    command_type: ClassVar[str] = "AssignToGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    moved: GridFigures
    from_grid: str | None = None  # None: new arrivals (a new building, a new enterprise)
    expected_version: int | None = None


GridCommand = CreateGrid | ResizeGrid | AddMicroGrid | MergeGrids | SplitGrid | AssignToGrid


class GridCommands:
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers

    @refusing_invalid_values
    async def handle(self, cmd: GridCommand, ctx: CommandContext) -> list[Envelope]:
        community = await self.handlers.load_at(cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community  # a retry of a command already recorded
        registered = community.registered
        assert registered is not None
        event, problems = decide(cmd, community, registered.major_type)
        if problems or event is None:
            raise ValidationFailed("the grid command cannot be carried out", errors=problems)
        touched = touched_subjects(community, event)
        community.apply(event)
        touched |= touched_subjects(community, event)
        pack = await self.handlers.pack_for(registered.division_code)
        broken = [
            b
            for grid in community.grids.active()
            if grid.spec.grid in touched
            for b in grid_breaches(pack, grid.spec)
        ]
        findings = finding_events(
            cmd.code, pack, broken, community.open_findings, touched, community.figure
        )
        name = cmd.command_type
        events = [self.handlers.new_event(event, name, cmd.code, ctx)] + [
            self.handlers.new_event(f, name, cmd.code, ctx, pack) for f in findings
        ]
        return await self.handlers.save(cmd.code, community.head, events, ctx)


def touched_subjects(community: domain.Community, event: DomainEvent) -> set[str | None]:
    """Grid codes the event names, and the ids of their micro-grids (as the map stands now)."""
    codes: set[str] = set()
    if isinstance(event, (GridCreated, GridResized, MicroGridAdded)):
        codes.add(event.grid)
    elif isinstance(event, GridsMerged):
        codes |= {*event.sources, event.merged.grid}
    elif isinstance(event, GridSplit):
        codes |= {event.source, *(p.grid for p in event.parts)}
    elif isinstance(event, GridMembersAssigned):
        codes |= {event.grid, *([event.from_grid] if event.from_grid else [])}
    subjects: set[str | None] = set(codes)
    for code in codes:
        grid = community.grids.grids.get(code)
        if grid is not None:
            subjects |= set(grid.micro_grids)
    return subjects


def decide(
    cmd: GridCommand, community: domain.Community, major_type: str
) -> tuple[DomainEvent | None, list[FieldProblem]]:
    """The event the command records, or every reason it is refused."""
    grids, code = community.grids, cmd.code
    if isinstance(cmd, CreateGrid):
        problems = check_kind(cmd.kind, major_type)
        if len(grids.grids) >= MAX_GRIDS:
            problems.append(FieldProblem("code", f"a community has at most {MAX_GRIDS} grids"))
        if problems:
            return None, problems
        (grid,) = grids.next_grid_codes(code, 1)
        ids = grids.next_micro_grid_ids(code, len(cmd.micro_grids))
        micro = [_micro(i, m) for i, m in zip(ids, cmd.micro_grids, strict=True)]
        spec = GridSpec(
            grid=grid, name=cmd.name, kind=cmd.kind, figures=cmd.figures, micro_grids=micro
        )
        return GridCreated(code=code, **spec.model_dump()), []
    if isinstance(cmd, ResizeGrid):
        problems = grids.require_active(cmd.grid, "grid")
        if problems:
            return None, problems
        own = grids.grids[cmd.grid].micro_grids
        unknown = sorted(set(cmd.micro_grids) - set(own))
        if unknown:
            return None, [
                FieldProblem("micro_grids", f"not micro-grids of {cmd.grid}: {', '.join(unknown)}")
            ]
        resized = [
            own[i].model_copy(update={"households": h, "business_entities": e})
            for i, (h, e) in sorted(cmd.micro_grids.items())
        ]
        return GridResized(code=code, grid=cmd.grid, figures=cmd.figures, micro_grids=resized), []
    if isinstance(cmd, AddMicroGrid):
        problems = grids.require_active(cmd.grid, "grid")
        if problems:
            return None, problems
        (micro_id,) = grids.next_micro_grid_ids(code, 1)
        return MicroGridAdded(
            code=code, grid=cmd.grid, micro_grid=_micro(micro_id, cmd.micro_grid)
        ), []
    if isinstance(cmd, MergeGrids):
        return _merge(cmd, community, major_type)
    if isinstance(cmd, SplitGrid):
        return _split(cmd, community, major_type)
    return _assign(cmd, community)


def _micro(micro_id: str, m: NewMicroGrid) -> MicroGrid:
    return MicroGrid(
        id=micro_id, name=m.name, kind=m.kind, households=m.households,
        business_entities=m.business_entities,
    )  # fmt: skip


def _merge(
    cmd: MergeGrids, community: domain.Community, major_type: str
) -> tuple[DomainEvent | None, list[FieldProblem]]:
    grids = community.grids
    problems: list[FieldProblem] = []
    if len(set(cmd.sources)) < 2:
        problems.append(FieldProblem("sources", "name at least two different grids to merge"))
    for source in cmd.sources:
        problems += grids.require_active(source, "sources")
    if problems:
        return None, problems
    sources = [grids.grids[s].spec for s in dict.fromkeys(cmd.sources)]
    kinds = {s.kind for s in sources}
    kind = cmd.kind or (kinds.pop() if len(kinds) == 1 else None)
    if kind is None:
        return None, [FieldProblem("kind", "the grids differ in kind: name the merged grid's kind")]
    if problems := check_kind(kind, major_type):
        return None, problems
    (grid,) = grids.next_grid_codes(cmd.code, 1)
    figures = sources[0].figures
    for s in sources[1:]:
        figures = figures + s.figures
    merged = GridSpec(
        grid=grid, name=cmd.name, kind=kind, figures=figures,
        micro_grids=[m for s in sources for m in s.micro_grids],
    )  # fmt: skip
    return GridsMerged(code=cmd.code, sources=[s.grid for s in sources], merged=merged), []


def _split(
    cmd: SplitGrid, community: domain.Community, major_type: str
) -> tuple[DomainEvent | None, list[FieldProblem]]:
    grids = community.grids
    problems = grids.require_active(cmd.source, "source")
    if len(cmd.parts) < 2:
        problems.append(FieldProblem("parts", "a split needs at least two parts"))
    if problems:
        return None, problems
    source = grids.grids[cmd.source]
    for i, part in enumerate(cmd.parts):
        problems += check_kind(part.kind, major_type, f"parts[{i}].kind")
    # Every micro-grid goes to exactly one part.
    named = [m for part in cmd.parts for m in part.micro_grids]
    own = source.micro_grids
    if sorted(named) != sorted(own):
        missing = sorted(set(own) - set(named))
        extra = sorted(
            {m for m in named if m not in own} | {m for m in named if named.count(m) > 1}
        )
        detail = "; ".join(
            text
            for text in (
                f"not assigned: {', '.join(missing)}" if missing else "",
                f"unknown or repeated: {', '.join(extra)}" if extra else "",
            )
            if text
        )
        problems.append(
            FieldProblem("parts", f"each micro-grid of {cmd.source} goes to one part ({detail})")
        )
    # The parts divide the source: nothing appears or disappears in a split.
    total = cmd.parts[0].figures
    for part in cmd.parts[1:]:
        total = total + part.figures
    for name, whole in source.spec.figures.model_dump().items():
        if getattr(total, name) != whole:
            problems.append(
                FieldProblem(
                    "parts", f"the parts' {name} add up to {getattr(total, name)}, not {whole}"
                )
            )
    if problems:
        return None, problems
    codes = grids.next_grid_codes(cmd.code, len(cmd.parts))
    parts = [
        GridSpec(
            grid=grid,
            name=part.name,
            kind=part.kind,
            figures=part.figures,
            micro_grids=[own[m] for m in part.micro_grids],
        )
        for grid, part in zip(codes, cmd.parts, strict=True)
    ]
    return GridSplit(code=cmd.code, source=cmd.source, parts=parts), []


def _assign(
    cmd: AssignToGrid, community: domain.Community
) -> tuple[DomainEvent | None, list[FieldProblem]]:
    grids = community.grids
    problems = grids.require_active(cmd.grid, "grid")
    if cmd.from_grid is not None:
        problems += grids.require_active(cmd.from_grid, "from_grid")
        if cmd.from_grid == cmd.grid:
            problems.append(FieldProblem("from_grid", "a grid cannot assign to itself"))
    if not problems and cmd.from_grid is not None:
        have = grids.grids[cmd.from_grid].spec.figures
        for name, amount in cmd.moved.model_dump().items():
            if amount > getattr(have, name):
                problems.append(
                    FieldProblem(
                        "moved", f"{cmd.from_grid} has {getattr(have, name)} {name}, not {amount}"
                    )
                )
    if cmd.moved == GridFigures():
        problems.append(FieldProblem("moved", "assign at least one household, person or entity"))
    if problems:
        return None, problems
    return GridMembersAssigned(
        code=cmd.code, grid=cmd.grid, from_grid=cmd.from_grid, moved=cmd.moved
    ), []
