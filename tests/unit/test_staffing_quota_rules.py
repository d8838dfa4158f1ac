"""Staffing's quota rules and decisions: pure, on plain objects (seed sections in the packs)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.staffing.quota.decide import CommunityQuota, decide, observed
from services.staffing.quota.events import CommunityFacts, CommunityObserved, QuotaSet
from services.staffing.quota.packs import StaffingBook, StaffingPack
from services.staffing.quota.rules import decide_quota

BOOK = StaffingBook.shipped()
NINGBO = BOOK.deciding("ningbo", {})
DEVZONE = BOOK.deciding("devzone", {})
XIXIAN = BOOK.deciding("xixian", {})


def facts(**over: object) -> CommunityFacts:
    base: dict[str, object] = {
        "code": "33021100400110006", "division_code": "330211004001", "major_type": "urban",
        "status": "active", "residents": 7420, "households": 2860,
    }  # fmt: skip
    return CommunityFacts.model_validate({**base, **over})


@pytest.mark.parametrize(
    ("residents", "quota"), [(7420, 16), (15000, 33), (15500, 34), (2272, 5), (2273, 5), (0, 0)]
)
def test_ningbo_urban_is_22_per_10000_residents_rounded_half_up(residents: int, quota: int) -> None:
    assert decide_quota(facts(residents=residents), NINGBO).quota == quota


@pytest.mark.parametrize(
    ("households", "quota"),
    [(800, 10), (2000, 10), (2499, 10), (2500, 11), (2999, 11), (3000, 12), (7000, 20), (9999, 20)],
)
def test_the_devzone_work_station_is_10_per_2000_households_plus_1_per_full_500_at_most_20(
    households: int, quota: int
) -> None:
    assert decide_quota(facts(households=households), DEVZONE).quota == quota


@pytest.mark.parametrize(
    ("score", "tier", "quota"),
    [("0.30", "一般", 4), ("1.00", "较大", 6), ("1.50", "较大", 9), ("3.00", "较大", 13),
     ("3.00", "特大", 18)],
)  # fmt: skip
def test_zhenhai_industrial_follows_the_composite_index_at_least_4_at_most_13_but_特大(
    score: str, tier: str, quota: int
) -> None:
    industrial = facts(major_type="industrial", score=Decimal(score), tier=tier)
    decision = decide_quota(industrial, NINGBO)
    assert decision.quota == quota
    assert decision.inputs["score"] == score and decision.source == "seed 000 §二(四)2"


def test_xixian_urban_quota_is_its_bodies_upper_bounds_added_up() -> None:
    """Seed 002 §五(一): 社区党组织 3–5, 居委会 5–9, 监委会 3, 服务站 5–9 people: 26 at most
    (the total is the pack's reading)."""
    decision = decide_quota(facts(), XIXIAN)
    assert decision.quota == 5 + 9 + 3 + 9
    assert decision.inputs["service_station.max"] == "9" and "= 26" in decision.rule


def test_no_rule_no_quota_and_an_ended_community_has_none_left() -> None:
    assert decide_quota(facts(major_type="rural"), NINGBO).quota is None
    assert decide_quota(facts(major_type="rural"), XIXIAN).quota is None
    assert decide_quota(facts(major_type="industrial"), NINGBO).rule.startswith("waiting")
    ended = decide_quota(facts(status="ended", successor="33021100400120001"), NINGBO)
    assert ended.quota == 0 and "33021100400120001" in ended.rule


def apply_all(state: CommunityQuota, events: list[object]) -> None:
    for event in events:
        state.apply(event)  # type: ignore[arg-type]


def test_a_decision_appends_only_what_changed_for_staffing() -> None:
    state = CommunityQuota()
    first = decide(facts(), state, NINGBO)
    assert [type(e) for e in first] == [CommunityObserved, QuotaSet]
    apply_all(state, first)
    # The same facts, an area or households change (Ningbo counts residents): nothing.
    assert decide(facts(), state, NINGBO) == []
    assert decide(facts(households=3000), state, NINGBO) == []
    # An urban community's tier is used by no Ningbo urban rule: nothing either.
    assert decide(facts(tier="较大", score=Decimal("1.2")), state, NINGBO) == []
    # More residents, same quota (7,430 → 16.346 → 16): the view changes, the quota does not.
    [seen] = decide(facts(residents=7430), state, NINGBO)
    assert isinstance(seen, CommunityObserved)
    apply_all(state, [seen])
    [_, quota] = decide(facts(residents=15000), state, NINGBO)
    assert isinstance(quota, QuotaSet) and (quota.previous, quota.quota) == (16, 33)


def test_the_view_follows_registry_events_and_ignores_the_rest() -> None:
    registered = observed(
        "CommunityRegistered",
        {"code": "33021100400110006", "division_code": "330211004001", "major_type": "urban",
         "status": "active", "residents": 10, "households": 5, "name": "勤勇社区"},
        None,
    )  # fmt: skip
    assert registered is not None and registered.residents == 10
    assert observed("GridCreated", {"code": "x"}, registered) is None
    assert observed("CommunityTierAssigned", {"tier": "一般"}, None) is None  # not registered
    converted = observed("CommunityConverted", {"successor_code": "3302110040012"}, registered)
    assert converted is not None and converted.status == "ended"
    with pytest.raises(ValueError):
        observed("CommunityIndicatorsUpdated", {"residents": "many"}, registered)


def test_every_shipped_staffing_pack_names_a_source_for_each_major_type() -> None:
    packs: list[StaffingPack] = [p for p in (NINGBO, DEVZONE, XIXIAN) if p is not None]
    assert len(packs) == 3
    for pack in packs:
        assert {"urban", "rural", "industrial"} <= set(pack.sources), pack.ref
        for rule in pack.quotas.values():
            assert rule.source.startswith("seed")


async def test_a_malformed_registry_event_is_a_poison_event_and_appends_nothing() -> None:
    """What a broken or hostile producer puts on the registry's topic (a count that is text,
    arbitrary Unicode where a code belongs) is refused as a PoisonEvent, which the inbox parks
    and dead-letters; nothing reaches staffing's log."""
    from datetime import UTC, datetime
    from uuid import uuid4

    from services.staffing.quota.handlers import QuotaHandlers
    from services.staffing.runtime import staffing_catalog
    from shared.cloudevents import IncomingEvent
    from shared.eventstore.memory import MemoryEventStore
    from shared.inbox import PoisonEvent
    from shared.pipeline import CommandPipeline

    store = MemoryEventStore()
    pipeline = CommandPipeline(store, staffing_catalog())
    data = {
        "code": "33021100400110006", "division_code": "330211004001", "major_type": "urban",
        "status": "active", "residents": "许多", "households": 1,
    }  # fmt: skip
    event = IncomingEvent(
        event_id=uuid4(), source="/wuding/registry", type="CommunityRegistered",
        schema_version=1, subject="33021100400110006", time=datetime.now(UTC), data=data,
        headers={},
    )  # fmt: skip
    with pytest.raises(PoisonEvent, match="CommunityRegistered"):
        await QuotaHandlers().observe(event, pipeline)
    assert await store.read_stream("community-33021100400110006") == []
