"""Matters' own `wuding` commands, added to the shared CLI through the topology:

wuding matters policy publish --region R    record the region's matters pack version in force
"""

from __future__ import annotations

import asyncio
import getpass
from typing import Any

from shared.policy_packs import NoRegion
from shared.settings import KernelSettings


def add_commands(sub: Any) -> None:
    p = sub.add_parser("matters", help="matters: its policy packs (the function catalogues)")
    actions = p.add_subparsers(dest="matters_action", required=True)
    policy = actions.add_parser("policy", help="matters policy packs")
    policy.add_argument("step", choices=["publish"])
    policy.add_argument("--region", required=True)
    policy.set_defaults(run=lambda args: asyncio.run(_publish(args.region)), refusals=(NoRegion,))


async def _publish(region: str) -> int:
    from services.matters.runtime import bootstrap
    from shared.commands import CommandContext
    from shared.policy_publication import PublishPolicyPack, publish_pack

    runtime = await bootstrap(KernelSettings(service="matters", relay_enabled=False))
    ctx = CommandContext(actor_id=f"operator:{getpass.getuser()}", actor_kind="operator")
    try:
        book = runtime.policy.book
        events = await publish_pack(runtime.pipeline, book, PublishPolicyPack(region), ctx)
        pack = book.in_force(region)
        print(f"matters {pack.ref}: " + ("published" if events else "already published"))
    finally:
        await runtime.pool.close()
    return 0
