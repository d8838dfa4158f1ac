"""Funding's own `wuding` commands, added to the shared CLI through the topology:

wuding funding rollover --division-prefix P --year Y
    next budget year's lines for every community under P — a district, a town, or the city
    (its 4-digit prefix, e.g. 3302): the city platform commands nothing at the gateway, so a
    city-wide roll-over is an operator's, recorded under the operator's name; idempotent
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
from typing import Any

from shared.settings import KernelSettings
from shared.values import PREFIX_QUERY_PATTERN


def _prefix(text: str) -> str:
    if not re.fullmatch(PREFIX_QUERY_PATTERN, text):
        raise argparse.ArgumentTypeError("a division prefix is 2 to 12 ASCII digits")
    return text


def add_commands(sub: Any) -> None:
    p = sub.add_parser("funding", help="funding: the budget-year roll-over")
    actions = p.add_subparsers(dest="funding_action", required=True)
    roll = actions.add_parser(
        "rollover", help="next budget year's lines for a district, a town or the city"
    )
    roll.add_argument("--division-prefix", required=True, type=_prefix,
                      help="a district's or town's prefix, or the city's (e.g. 3302)")  # fmt: skip
    roll.add_argument("--year", required=True, type=int, help="this budget year or the next")
    roll.set_defaults(run=lambda args: asyncio.run(_roll_over(args.division_prefix, args.year)))


async def _roll_over(prefix: str, year: int) -> int:
    from services.funding.runtime import bootstrap
    from services.funding.standards.events import BudgetYearRolledOver
    from services.funding.standards.rollover_handlers import RollOver
    from shared.commands import CommandContext

    runtime = await bootstrap(KernelSettings(service="funding", relay_enabled=False))
    ctx = CommandContext(actor_id=f"operator:{getpass.getuser()}", actor_kind="operator")
    try:
        # The communities come from funding's read models, which the running service keeps:
        # the roll-over waits (up to 10 s) for their stored checkpoints to reach the log's end.
        (recorded,) = await runtime.rollover.roll_over(RollOver(prefix, year), ctx)
        run = runtime.catalog.decode(recorded)
        assert isinstance(run, BudgetYearRolledOver)
        print(
            f"funding roll-over {prefix} {year}: {run.communities} communities,"
            f" {run.communities_changed} changed, {run.lines_set} lines set,"
            f" {run.postings} postings"
        )
    finally:
        await runtime.pool.close()
    return 0
