"""Calibration: tier thresholds that reproduce a target distribution over real communities.

Ningbo's result for 2,869 communities was 一般/较大/特大 = 54.4% / 37.3% / 8.3% (seed 004 §一).
Given today's communities and such a target, propose the thresholds (weights unchanged) as a
new pack version; publishing and re-evaluating stay separate, explicit steps.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.registry.community.tiers import decide_tier
from services.registry.policy.packs import PolicyPack


class CannotCalibrate(ValueError):
    pass


def calibrated_thresholds(
    pack: PolicyPack,
    group: str,
    communities: list[tuple[str, dict[str, Decimal]]],
    target_percent: tuple[Decimal, Decimal, Decimal],
) -> dict[str, Decimal]:
    """Thresholds for `group` ("urban_rural" or "industrial") hitting `target_percent`.

    `communities` are (major_type, indicators). The 较大 threshold is the lowest score that
    must not be 一般; the 特大 threshold the lowest that must be 特大. Ties in score can move
    a community across a line: the result is as close as the scores allow.
    """
    if sum(target_percent) != 100:
        raise CannotCalibrate(f"target shares must add up to 100, not {sum(target_percent)}")
    scores = sorted(decide_tier(pack, major, values).score for major, values in communities)
    n = len(scores)
    general = round(n * target_percent[0] / 100)
    large = round(n * (target_percent[0] + target_percent[1]) / 100)
    if not 0 < general < large < n:
        raise CannotCalibrate(f"{n} communities are too few for that target")
    thresholds = {"较大": scores[general], "特大": scores[large]}
    if thresholds["较大"] >= thresholds["特大"]:
        raise CannotCalibrate("scores are too tied to separate 较大 from 特大")
    del group  # the caller picks the communities of one indicator group
    return thresholds


def proposed_pack(
    pack: PolicyPack,
    group: str,
    thresholds: dict[str, Decimal],
    *,
    version: str,
    effective_from: date,
    basis: str,
) -> PolicyPack:
    rules = pack.tier[group].model_copy(update={"thresholds": thresholds})  # type: ignore[index]
    return pack.model_copy(
        update={
            "version": version,
            "effective_from": effective_from,
            "tier": {**pack.tier, group: rules},
            "sources": {**pack.sources, f"tier.{group}.thresholds": basis},
        }
    )
