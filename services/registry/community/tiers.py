"""Scale tier (一般/较大/特大) by a weighted score over indicators (seed 004 §一, 000 §二(一)5).

Pure. Each indicator scores value / reference, capped, times its weight; the tier is the
highest whose threshold the total reaches. The decision carries every input, contribution
and the rule that fired, in Decimal (no float anywhere near a public decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.registry.policy.packs import PolicyPack, Tier

_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class TierDecision:
    tier: Tier
    score: Decimal
    inputs: dict[str, str]
    contributions: dict[str, str]
    rule: str


def decide_tier(pack: PolicyPack, major_type: str, indicators: dict[str, Decimal]) -> TierDecision:
    rules = pack.tier_rules(major_type)
    contributions: dict[str, Decimal] = {}
    for name, spec in rules.indicators.items():
        value = indicators.get(name, Decimal(0))
        ratio = min(value / spec.reference, rules.cap)
        contributions[name] = (spec.weight * ratio).quantize(_PLACES, ROUND_HALF_UP)
    score = sum(contributions.values(), Decimal(0))
    tier: Tier = "一般"
    for candidate in ("较大", "特大"):
        if score >= rules.thresholds[candidate]:
            tier = candidate
    if tier == "一般":
        rule = f"score {score} < 较大 threshold {rules.thresholds['较大']}"
    else:
        rule = f"score {score} ≥ {tier} threshold {rules.thresholds[tier]}"
    group = "industrial" if major_type == "industrial" else "urban_rural"
    return TierDecision(
        tier=tier,
        score=score,
        inputs={name: str(indicators.get(name, Decimal(0))) for name in rules.indicators},
        contributions={k: str(v) for k, v in contributions.items()},
        rule=f"{pack.ref} tier.{group}: {rule}",
    )
