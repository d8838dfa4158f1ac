"""The registry's own `wuding` commands, added to the shared CLI through the topology
(services/topology.py's `cli` entry):

wuding policy publish --region R           record the region's pack version in force
wuding policy reevaluate --region R        re-decide the region's tiers and size findings
wuding policy calibrate --region R ...     propose thresholds hitting a target distribution
wuding seed ningbo                         a synthetic Ningbo through the real command path
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from pathlib import Path
from typing import Any

from services.registry.community.projections import CommunitiesProjection
from services.registry.policy.calibration import CannotCalibrate
from services.registry.policy.packs import NoRegion
from shared.settings import KernelSettings


def add_commands(sub: Any) -> None:
    """Register `policy` and `seed` on the CLI's subparsers; each sets `run` (args -> exit
    code) and the registry's `refusals`, which the CLI prints as one line (services/cli.py)."""
    p_policy = sub.add_parser("policy", help="registry policy packs")
    p_policy.add_argument("action", choices=["publish", "reevaluate", "calibrate"])
    p_policy.add_argument("--region", required=True)
    p_policy.add_argument("--group", choices=["urban_rural", "industrial"], default="urban_rural")
    p_policy.add_argument(
        "--target", type=_shares, default="54.4,37.3,8.3", help="一般,较大,特大 in percent"
    )
    p_policy.add_argument("--version", help="the proposed pack's version (calibrate)")
    p_policy.add_argument("--effective-from", type=_day, help="YYYY-MM-DD (calibrate)")
    p_policy.add_argument("--out", help="write the proposed pack here (calibrate)")

    def policy(args: argparse.Namespace) -> int:
        if args.action != "calibrate":
            return asyncio.run(_policy(args.action, args.region))
        if not (args.version and args.effective_from):
            p_policy.error("calibrate needs --version and --effective-from")
        out = _calibration_out(args.out)
        text, basis = asyncio.run(_calibrate(args))
        if out:
            out.write_text(text + "\n", encoding="utf-8")
            print(f"proposed pack written to {out}: {basis}")
        else:
            print(text)
        return 0

    p_policy.set_defaults(run=policy, refusals=(NoRegion, CannotCalibrate))
    p_seed = sub.add_parser("seed", help="create a synthetic city through the command path")
    p_seed.add_argument("city", choices=["ningbo"])
    p_seed.add_argument("--seed", type=int, default=2023, help="the plan's random seed")
    p_seed.add_argument("--scale", type=float, default=1.0, help="1.0: the whole city")
    p_seed.add_argument("--concurrency", type=int, default=8)
    p_seed.set_defaults(
        run=lambda a: asyncio.run(_seed(a.city, a.seed, a.scale, a.concurrency)), refusals=()
    )


async def _calibrate(args: argparse.Namespace) -> tuple[str, str]:
    """(the proposed pack as JSON, what it was calibrated on)."""
    from datetime import date
    from decimal import Decimal

    from services.registry.policy.calibration import calibrated_thresholds, proposed_pack
    from services.registry.runtime import bootstrap

    target = tuple(Decimal(x) for x in args.target.split(","))
    runtime = await bootstrap(KernelSettings(service="registry", relay_enabled=False))
    try:
        pack, _ = await runtime.commands.policy.published_pack(args.region)  # what decides today
        group_of = {"industrial": "industrial"}
        communities = [
            (major, values)
            for major, values in await runtime.queries.indicators_in_region(args.region)
            if group_of.get(major, "urban_rural") == args.group
        ]
        thresholds = calibrated_thresholds(pack, args.group, communities, target)  # type: ignore[arg-type]
        basis = (
            f"calibrated on {len(communities)} {args.group} communities of {args.region}"
            f" on {date.today().isoformat()} to {args.target} (from {pack.ref})"
        )
        proposal = proposed_pack(
            pack, args.group, thresholds, version=args.version,
            effective_from=date.fromisoformat(args.effective_from), basis=basis,
        )  # fmt: skip
    finally:
        await runtime.pool.close()
    return proposal.model_dump_json(indent=2), basis


async def _policy(action: str, region: str) -> int:
    from services.registry.policy.commands import ReevaluateCommunities
    from services.registry.runtime import bootstrap
    from shared.commands import CommandContext
    from shared.policy_publication import PublishPolicyPack

    runtime = await bootstrap(KernelSettings(service="registry", relay_enabled=False))
    ctx = CommandContext(actor_id=f"operator:{getpass.getuser()}", actor_kind="operator")
    try:
        if action == "publish":
            events = await runtime.commands.policies.publish_pack(PublishPolicyPack(region), ctx)
            pack = runtime.commands.policy.book.in_force(region)
            print(f"{pack.ref}: " + ("published" if events else "already published"))
        else:
            # The region's communities, current: the read model they are listed from, by
            # name (not by its place in the runtime's list of projectors).
            (communities,) = [
                p for p in runtime.projectors if p.projection.name == CommunitiesProjection.name
            ]
            while await communities.run_once():
                pass
            codes = await runtime.queries.codes_in_region(region)
            command = ReevaluateCommunities(region, tuple(codes))
            done = await runtime.commands.policies.reevaluate(command, ctx)
            print(
                f"re-evaluated {done.communities} communities of {region} under {done.pack}:"
                f" {done.changed} got new decisions (command {ctx.command_id})"
            )
    finally:
        await runtime.pool.close()
    return 0


async def _seed(city: str, seed: int, scale: float, concurrency: int) -> int:
    from services.registry.runtime import bootstrap
    from services.registry.seed import plan_ningbo, seed_city

    plans = plan_ningbo(seed, scale)
    runtime = await bootstrap(KernelSettings(service="registry", relay_enabled=False))
    try:
        report = await seed_city(
            runtime.commands, plans,
            actor=f"operator:{getpass.getuser()}", seed=seed, concurrency=concurrency,
        )  # fmt: skip
    finally:
        await runtime.pool.close()
    tiers = ", ".join(f"{tier} {n}" for tier, n in sorted(report.tiers.items()))
    print(
        f"{city}: {report.communities} communities, {report.grids} grids,"
        f" {report.micro_grids} micro-grids; {report.events} events in {report.seconds:.1f} s"
        f" ({report.events_per_second:,.0f} events/s); tiers: {tiers}."
        " The registry service projects and publishes them when it runs."
    )
    return 0


def _shares(value: str) -> str:
    """--target: three percentages, 一般,较大,特大 (argparse refuses anything else)."""
    from decimal import Decimal, InvalidOperation

    try:
        shares = [Decimal(x) for x in value.split(",")]
    except InvalidOperation:
        shares = []
    if len(shares) != 3 or not all(x.is_finite() and x >= 0 for x in shares):
        raise argparse.ArgumentTypeError(f"{value!r}: three percentages, e.g. 54.4,37.3,8.3")
    return value


def _day(value: str) -> str:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: a date, YYYY-MM-DD") from None
    return value


def _calibration_out(value: str | None) -> Path | None:
    """Where calibrate writes, checked before any work: a new file in an existing folder."""
    if value is None:
        return None
    out = Path(value).resolve()
    if out.exists():
        raise FileExistsError(f"--out {out} exists: a proposal never overwrites a file")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: folder {out.parent} does not exist")
    return out
