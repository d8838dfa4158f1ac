"""Size findings (DOMAIN.md §1 "Size rules"): alerts with the rule and the figures, not refusals.

Pure. Given a pack, a community's major type and indicators, which rules does it break?
Comparing that with the findings already open yields what to raise and what to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.registry.policy import PolicyPack, SizeRule


@dataclass(frozen=True)
class Breach:
    rule: SizeRule
    value: Decimal

    @property
    def limit_text(self) -> str:
        if self.rule.max is not None and self.value > self.rule.max:
            return f"{self.rule.indicator} {self.value} > {self.rule.max}"
        return f"{self.rule.indicator} {self.value} < {self.rule.min}"


def breaches(pack: PolicyPack, major_type: str, indicators: dict[str, Decimal]) -> list[Breach]:
    found = []
    for rule in pack.size_rules:
        if major_type not in rule.major_types:
            continue
        value = indicators.get(rule.indicator, Decimal(0))
        if (rule.max is not None and value > rule.max) or (
            rule.min is not None and value < rule.min
        ):
            found.append(Breach(rule, value))
    return found
