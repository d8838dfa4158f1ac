"""Grid decisions: the event a grid command records, or every reason it is refused. Pure."""

from __future__ import annotations

from copy import deepcopy

from services.registry.community.aggregate import Community
from services.registry.community.findings import finding_events, grid_breaches
from services.registry.grids.commands import (
    AddMicroGrid,
    AssignToGrid,
    CreateGrid,
    GridCommand,
    MergeGrids,
    NewMicroGrid,
    ResizeGrid,
    SplitGrid,
)
from services.registry.grids.events import (
    GridCreated,
    GridMembersAssigned,
    GridResized,
    GridsMerged,
    GridSplit,
    MicroGridAdded,
)
from services.registry.grids.model import (
    MAX_GRIDS,
    GridFigures,
    GridSpec,
    MicroGrid,
    check_kind,
)
from services.registry.policy.packs import PolicyPack
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent
from shared.pipeline import Refused


def decide(cmd: GridCommand, community: Community, pack: PolicyPack) -> list[DomainEvent] | Refused:
    """The grid event the command records and the size findings of the grids it touched
    (raised and resolved, never refusals: DOMAIN.md §1 "Grids"), or every reason it is
    refused."""
    event, problems = grid_event(cmd, community, community.registered_type)
    if problems or event is None:
        return Refused("the grid command cannot be carried out", problems)
    after = deepcopy(community)  # the state as the event leaves it; `community` is unchanged
    after.apply(event)
    touched = touched_subjects(community, event) | touched_subjects(after, event)
    broken = [
        b
        for grid in after.grids.active()
        if grid.spec.grid in touched
        for b in grid_breaches(pack, grid.spec)
    ]
    findings = finding_events(cmd.code, pack, broken, after.open_findings, touched, after.figure)
    return [event, *findings]


def grid_event(
    cmd: GridCommand, community: Community, major_type: str
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


def touched_subjects(community: Community, event: DomainEvent) -> set[str | None]:
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


def _micro(micro_id: str, m: NewMicroGrid) -> MicroGrid:
    return MicroGrid(
        id=micro_id, name=m.name, kind=m.kind, households=m.households,
        business_entities=m.business_entities,
    )  # fmt: skip


def _merge(
    cmd: MergeGrids, community: Community, major_type: str
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
    cmd: SplitGrid, community: Community, major_type: str
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
    cmd: AssignToGrid, community: Community
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
