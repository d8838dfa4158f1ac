"""Staffing's own `wuding` commands, added to the shared CLI through the topology:

wuding staffing erase-worker ID --reason R   destroy a worker's data key (crypto-shredding):
                                             their name and ID number become unreadable
                                             everywhere; the erasure is an audited event
wuding staffing policy publish --region R    record the region's staffing pack version in force
wuding staffing policy reevaluate --region R re-decide the region's quotas under it
"""

from __future__ import annotations

import asyncio
import getpass
from typing import Any

from shared.policy_packs import NoRegion
from shared.settings import KernelSettings


def add_commands(sub: Any) -> None:
    p = sub.add_parser("staffing", help="staffing: personal data of workers, policy packs")
    actions = p.add_subparsers(dest="staffing_action", required=True)

    erase = actions.add_parser("erase-worker", help="destroy a worker's personal data key")
    erase.add_argument("worker_id")
    erase.add_argument("--reason", required=True, help="why (recorded in the WorkerErased event)")
    erase.set_defaults(run=lambda args: asyncio.run(_erase(args.worker_id, args.reason)))

    policy = actions.add_parser("policy", help="staffing policy packs")
    policy.add_argument("step", choices=["publish", "reevaluate"])
    policy.add_argument("--region", required=True)
    policy.set_defaults(
        run=lambda args: asyncio.run(_policy(args.step, args.region)), refusals=(NoRegion,)
    )


def _operator() -> Any:
    from shared.commands import CommandContext

    return CommandContext(actor_id=f"operator:{getpass.getuser()}", actor_kind="operator")


async def _erase(worker_id: str, reason: str) -> int:
    from services.staffing.runtime import bootstrap
    from services.staffing.workforce.commands import EraseWorker
    from services.staffing.workforce.ids import require_worker_id

    runtime = await bootstrap(KernelSettings(service="staffing", relay_enabled=False))
    ctx = _operator()
    try:
        command = EraseWorker(require_worker_id(worker_id), reason)
        events = await runtime.workforce.erase(command, ctx)
        print(f"worker {worker_id} erased (event {events[-1].event_id}, command {ctx.command_id})")
    finally:
        await runtime.pool.close()
    return 0


async def _policy(step: str, region: str) -> int:
    from services.staffing.quota.projections import QuotasProjection
    from services.staffing.quota.reevaluation import ReevaluateQuotas, reevaluate
    from services.staffing.runtime import bootstrap
    from shared.policy_publication import PublishPolicyPack, publish_pack

    runtime = await bootstrap(KernelSettings(service="staffing", relay_enabled=False))
    ctx = _operator()
    try:
        book = runtime.policy.book
        if step == "publish":
            events = await publish_pack(runtime.pipeline, book, PublishPolicyPack(region), ctx)
            pack = book.in_force(region)
            print(f"staffing {pack.ref}: " + ("published" if events else "already published"))
            return 0
        # The region's communities, current: the read model they are listed from, by name.
        (quotas,) = [p for p in runtime.projectors if p.projection.name == QuotasProjection.name]
        while await quotas.run_once():
            pass
        codes = await runtime.queries.codes_in_region(region)
        done = await reevaluate(
            runtime.pipeline, runtime.policy, ReevaluateQuotas(region, tuple(codes)), ctx
        )
        print(
            f"re-evaluated {done.communities} communities of {region} under staffing"
            f" {done.pack}: {done.changed} got new decisions (command {ctx.command_id})"
        )
    finally:
        await runtime.pool.close()
    return 0
