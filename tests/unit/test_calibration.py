"""Issue 3 capability 2: thresholds that reproduce Ningbo's 54.4% / 37.3% / 8.3% (seed 004 §一)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal as D

import pytest

from services.registry.community.tiers import decide_tier
from services.registry.policy.calibration import (
    CannotCalibrate,
    calibrated_thresholds,
    proposed_pack,
)
from services.registry.policy.packs import PolicyPack, pack_for

NINGBO = pack_for("330211004001")
TARGET = (D("54.4"), D("37.3"), D("8.3"))


def synthetic_city(n: int = 2869) -> list[tuple[str, dict[str, D]]]:
    rng = random.Random(2869)
    city = []
    for _ in range(n):
        households = int(rng.lognormvariate(7.6, 0.5))
        city.append(
            (
                rng.choice(["urban", "rural"]),
                {
                    "households": D(households),
                    "residents": D(int(households * rng.uniform(2.2, 3.2))),
                    "floating_population": D(int(households * rng.uniform(0, 1.2))),
                    "area_km2": D(str(round(rng.uniform(0.3, 12), 2))),
                },
            )
        )
    return city


def test_calibration_reproduces_the_target_distribution_as_a_new_pack_version() -> None:
    city = synthetic_city()
    thresholds = calibrated_thresholds(NINGBO, "urban_rural", city, TARGET)
    proposal = proposed_pack(
        NINGBO, "urban_rural", thresholds, version="2026.2", effective_from=date(2026, 12, 1),
        basis="calibrated on 2,869 communities to 54.4/37.3/8.3 (seed 004 §一)",
    )  # fmt: skip
    PolicyPack.model_validate(proposal.model_dump())  # still a valid pack
    assert (proposal.version, NINGBO.version) == ("2026.2", "2023.1")  # the old one untouched
    tiers = Counter(decide_tier(proposal, major, values).tier for major, values in city)
    ningbo = {"一般": 1561, "较大": 1070, "特大": 238}  # Ningbo's own counts
    # Communities with equal scores fall on the same side of a line: one either way at most.
    assert all(abs(tiers[tier] - count) <= 1 for tier, count in ningbo.items()), tiers


def test_impossible_targets_are_refused_with_a_reason() -> None:
    with pytest.raises(CannotCalibrate, match="add up to 100"):
        calibrated_thresholds(NINGBO, "urban_rural", synthetic_city(100), (D(50), D(30), D(10)))
    with pytest.raises(CannotCalibrate, match="too few"):
        calibrated_thresholds(NINGBO, "urban_rural", synthetic_city(3), TARGET)
