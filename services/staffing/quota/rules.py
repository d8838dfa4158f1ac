"""How many full-time community workers (员额) a community is entitled to: pure rules.

Each rule takes staffing's view of the community and a pack and returns the quota with the
inputs it used, the rule in words and its seed section, so `explain` can answer "why 33?".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.staffing.quota.events import CommunityFacts
from services.staffing.quota.packs import (
    ByBodies,
    ByCompositeIndex,
    ByHouseholds,
    PerResidents,
    StaffingPack,
    rounded,
)


@dataclass(frozen=True)
class QuotaDecision:
    quota: int | None  # None: no rule applies (yet); the reason is `rule`
    rule: str
    source: str
    inputs: dict[str, str] = field(default_factory=dict)


def decide_quota(facts: CommunityFacts, pack: StaffingPack | None) -> QuotaDecision:
    if facts.status == "ended":
        successor = f", converted into {facts.successor}" if facts.successor else ""
        return QuotaDecision(0, f"the community ended{successor}: no quota", "seed 002 §二(二)")
    if pack is None:
        return QuotaDecision(
            None, f"no staffing policy region covers division {facts.division_code}", ""
        )
    rule = pack.quotas.get(facts.major_type)  # type: ignore[call-overload]
    if rule is None:
        source = pack.sources.get(facts.major_type, "")
        return QuotaDecision(None, f"{pack.ref} sets no quota for {facts.major_type}", source)
    if isinstance(rule, PerResidents):
        return _per_residents(rule, facts)
    if isinstance(rule, ByHouseholds):
        return _by_households(rule, facts)
    if isinstance(rule, ByBodies):
        return _by_bodies(rule, pack)
    return _by_composite_index(rule, facts)


def _by_bodies(rule: ByBodies, pack: StaffingPack) -> QuotaDecision:
    bands = {name: pack.bodies[name].max for name in rule.bodies}
    quota = sum(bands.values())
    words = " + ".join(f"{name} {top}" for name, top in bands.items())
    return QuotaDecision(
        quota, f"the bodies' upper bounds added up: {words} = {quota}", rule.source,
        {f"{name}.max": str(top) for name, top in bands.items()},
    )  # fmt: skip


def _per_residents(rule: PerResidents, facts: CommunityFacts) -> QuotaDecision:
    exact = Decimal(facts.residents) * rule.per_10000 / 10000
    quota = max(rounded(exact, rule.rounding), rule.minimum)
    return QuotaDecision(
        quota,
        f"{rule.per_10000} per 10,000 residents: {facts.residents} × {rule.per_10000} / 10,000"
        f" = {exact.normalize():f}, rounded {rule.rounding} → {quota}",
        rule.source,
        {"residents": str(facts.residents), "per_10000": str(rule.per_10000)},
    )


def _by_households(rule: ByHouseholds, facts: CommunityFacts) -> QuotaDecision:
    households = facts.households or 0
    steps = max(households - rule.base_households, 0) // rule.step_households
    quota = min(rule.base + steps, rule.maximum)
    return QuotaDecision(
        quota,
        f"{rule.base} for the first {rule.base_households} households, +1 per further full"
        f" {rule.step_households} ({steps}), at most {rule.maximum} → {quota}",
        rule.source,
        {"households": str(households)},
    )


def _by_composite_index(rule: ByCompositeIndex, facts: CommunityFacts) -> QuotaDecision:
    if facts.score is None or facts.tier is None:
        return QuotaDecision(None, "waiting for the registry's composite index", rule.source)
    exact = facts.score * rule.per_score
    quota = max(rounded(exact, rule.rounding), rule.minimum)
    capped = facts.tier not in rule.uncapped_tiers
    if capped:
        quota = min(quota, rule.maximum)
    bound = f"at most {rule.maximum}" if capped else f"{facts.tier}: may exceed {rule.maximum}"
    return QuotaDecision(
        quota,
        f"{rule.per_score} per 1.0 of the composite index: {facts.score} × {rule.per_score}"
        f" = {exact.normalize():f}, rounded {rule.rounding}, at least {rule.minimum}, {bound}"
        f" → {quota}",
        rule.source,
        {"score": str(facts.score), "tier": facts.tier, "per_score": str(rule.per_score)},
    )
