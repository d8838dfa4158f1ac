"""A community's budget lines for a year from its pack: pure.

Each line comes with the inputs it used and the computation in words, so `explain` answers
"why 630,000?", and recomputes identically from what it recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from services.funding.standards.events import CommunityFacts, PayerShare
from services.funding.standards.packs import (
    ByKind,
    Fixed,
    FundingPack,
    PerCount,
    Standard,
    rounded,
)


@dataclass(frozen=True)
class LineDecision:
    line: str
    name: str
    amount_fen: int
    payers: list[PayerShare]
    rule: str
    source: str
    inputs: dict[str, str] = field(default_factory=dict)
    deadlines: dict[str, date] = field(default_factory=dict)


def yuan(fen: int) -> str:
    """Fen as yuan for the rule's words: 35000000 → "350,000.00"."""
    return f"{Decimal(fen) / 100:,.2f}"


def growth(rate: Decimal, base_year: int, year: int) -> Decimal:
    """The factor a standard has grown by in `year`: (1 + rate) ^ (year − base year), 1 before."""
    return (1 + rate) ** max(year - base_year, 0)


def split(amount_fen: int, shares: dict[str, int]) -> list[PayerShare]:
    """The amount in proportion to the shares, in whole fen (largest remainder; a tie goes to
    the payer listed first), so the parts always add up to the amount."""
    total = sum(shares.values())
    exact = {payer: Decimal(amount_fen) * share / total for payer, share in shares.items()}
    parts = {payer: int(value) for payer, value in exact.items()}
    left = amount_fen - sum(parts.values())
    order = sorted(shares, key=lambda p: (-(exact[p] - parts[p]), list(shares).index(p)))
    for payer in order[:left]:
        parts[payer] += 1
    return [PayerShare(payer=p, share=s, fen=parts[p]) for p, s in shares.items()]


def budget_lines(facts: CommunityFacts, year: int, pack: FundingPack) -> list[LineDecision]:
    """Every standard of the pack that applies to the community, for `year`; none once the
    community has ended."""
    if facts.status == "ended":
        return []
    return [
        replace(decided, deadlines=pack.deadlines(standard, year))
        for line_id, standard in pack.standards.items()
        if facts.major_type in standard.applies_to
        and (standard.requires is None or getattr(facts, standard.requires) is not None)
        and (decided := line(line_id, standard, facts, year)) is not None
    ]


def line(line_id: str, standard: Standard, facts: CommunityFacts, year: int) -> LineDecision | None:
    """The line of one standard for the community in `year` (None: a kind it has no figure
    for)."""
    rule = standard.amount
    factor = growth(rule.growth_rate, rule.base_year, year)
    grown = f"× {1 + rule.growth_rate}^{max(year - rule.base_year, 0)} (from {rule.base_year})"
    inputs = {"year": str(year), "growth_rate": str(rule.growth_rate),
              "base_year": str(rule.base_year)}  # fmt: skip
    if isinstance(rule, PerCount):
        count = getattr(facts, rule.indicator)
        exact = Decimal(rule.fen_per_unit) * factor * count / rule.unit
        computed = rounded(exact, rule.rounding)
        amount = max(computed, rule.minimum_fen)
        per = f"per {rule.unit:,}" if rule.unit > 1 else "each"
        words = (
            f"{count:,} {rule.indicator} × {yuan(rule.fen_per_unit)} yuan {per} {grown}"
            f" = {yuan(computed)} yuan (rounded {rule.rounding})"
        )
        if rule.minimum_fen:
            words += f", at least {yuan(rule.minimum_fen)} → {yuan(amount)} yuan"
        inputs |= {rule.indicator: str(count), "fen_per_unit": str(rule.fen_per_unit),
                   "unit": str(rule.unit), "minimum_fen": str(rule.minimum_fen)}  # fmt: skip
    elif isinstance(rule, ByKind):
        kind = getattr(facts, rule.of)
        if kind not in rule.fen:
            return None
        amount = rounded(Decimal(rule.fen[kind]) * factor, rule.rounding)
        words = f"a {kind}: {yuan(rule.fen[kind])} yuan a year {grown} = {yuan(amount)} yuan"
        inputs |= {rule.of: kind, "fen": str(rule.fen[kind])}
    else:
        assert isinstance(rule, Fixed)
        amount = rounded(Decimal(rule.fen) * factor, rule.rounding)
        words = f"{yuan(rule.fen)} yuan a year {grown} = {yuan(amount)} yuan"
        inputs |= {"fen": str(rule.fen)}
    parts = split(amount, standard.payers)
    shares = ":".join(str(s) for s in standard.payers.values())
    words += f"; shared {':'.join(standard.payers)} {shares}"
    return LineDecision(line_id, standard.name, amount, parts, words, standard.source, inputs)
