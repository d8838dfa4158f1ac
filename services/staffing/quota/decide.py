"""Quota decisions: pure. Staffing's new view of a community (from a registry event), its
state and the pack in → the events to append (none when nothing changed for staffing)."""

from __future__ import annotations

from dataclasses import dataclass

from services.staffing.quota.events import CommunityFacts, CommunityObserved, QuotaSet
from services.staffing.quota.packs import ByCompositeIndex, ByHouseholds, StaffingPack
from services.staffing.quota.rules import decide_quota
from shared.eventstore import DomainEvent
from shared.registry_view import followed_types, view_after


@dataclass
class CommunityQuota:
    """A community's stream in staffing's log, folded."""

    facts: CommunityFacts | None = None
    quota: QuotaSet | None = None

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, CommunityObserved):
            facts = event.model_dump(include=set(CommunityFacts.model_fields))
            self.facts = CommunityFacts(**facts)
        elif isinstance(event, QuotaSet):
            self.quota = event


def decide(
    facts: CommunityFacts, state: CommunityQuota, pack: StaffingPack | None
) -> list[DomainEvent]:
    """The view if it changed, and a QuotaSet if the decision differs from the last one."""
    facts = followed(facts, pack)
    events: list[DomainEvent] = []
    if facts != state.facts:
        events.append(CommunityObserved(**facts.model_dump()))
    decision = decide_quota(facts, pack)
    last = state.quota
    # A new QuotaSet only when the number or the pack deciding it changes: a view change that
    # leaves the quota as it was is recorded by CommunityObserved alone.
    same = last is not None and (last.quota, last.policy_version) == (
        decision.quota,
        pack.version if pack else None,
    )
    if not same and not (last is None and decision.quota is None):
        events.append(
            QuotaSet(
                code=facts.code,
                division_code=facts.division_code,
                quota=decision.quota,
                previous=last.quota if last else None,
                rule=decision.rule,
                source=decision.source,
                inputs=decision.inputs,
                policy_region=pack.region if pack else None,
                policy_version=pack.version if pack else None,
            )
        )
    return events


def followed(facts: CommunityFacts, pack: StaffingPack | None) -> CommunityFacts:
    """`facts` without what no rule of the community's pack uses (see CommunityFacts)."""
    rule = pack.quotas.get(facts.major_type) if pack else None  # type: ignore[call-overload]
    unused: dict[str, None] = {}
    if not isinstance(rule, ByHouseholds):
        unused["households"] = None
    if not isinstance(rule, ByCompositeIndex):
        unused |= {"tier": None, "score": None}
    return facts.model_copy(update=unused)


# The registry events staffing's view follows, and the fields each one sets.
_FOLLOWED = {
    "CommunityRegistered": ("division_code", "major_type", "status", "residents", "households"),
    "CommunityIndicatorsUpdated": ("residents", "households"),
    "CommunityTierAssigned": ("tier", "score"),
}


def observed(
    event_type: str, data: dict[str, object], previous: CommunityFacts | None
) -> CommunityFacts | None:
    """Staffing's view after a registry event; None when the event says nothing staffing
    follows (a grid, a finding) or concerns a community staffing has not seen registered.
    Raises pydantic's ValidationError on data that is not what the registry publishes."""
    before = previous.model_dump() if previous else None
    fields = view_after(event_type, data, before, _FOLLOWED)
    return None if fields is None else CommunityFacts.model_validate(fields)


FOLLOWED_TYPES = followed_types(_FOLLOWED)
