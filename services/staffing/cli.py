"""Staffing's own `wuding` commands, added to the shared CLI through the topology:

wuding staffing erase-worker ID --reason R   destroy a worker's data key (crypto-shredding):
                                             their name and ID number become unreadable
                                             everywhere; the erasure is an audited event
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from typing import Any

from shared.settings import KernelSettings


def add_commands(sub: Any) -> None:
    p = sub.add_parser("staffing", help="staffing: personal data of workers")
    p.add_argument("action", choices=["erase-worker"])
    p.add_argument("worker_id")
    p.add_argument("--reason", required=True, help="why (recorded in the WorkerErased event)")

    def run(args: argparse.Namespace) -> int:
        return asyncio.run(_erase(args.worker_id, args.reason))

    p.set_defaults(run=run, refusals=())


async def _erase(worker_id: str, reason: str) -> int:
    from services.staffing.runtime import bootstrap
    from services.staffing.workforce.commands import EraseWorker
    from services.staffing.workforce.ids import require_worker_id
    from shared.commands import CommandContext

    runtime = await bootstrap(KernelSettings(service="staffing", relay_enabled=False))
    ctx = CommandContext(actor_id=f"operator:{getpass.getuser()}", actor_kind="operator")
    try:
        command = EraseWorker(require_worker_id(worker_id), reason)
        events = await runtime.workforce.erase(command, ctx)
        print(f"worker {worker_id} erased (event {events[-1].event_id}, command {ctx.command_id})")
    finally:
        await runtime.pool.close()
    return 0
