"""Reads of the quotas: the read model for now, the log for history and time travel."""

from __future__ import annotations

from datetime import UTC, datetime

from services.staffing.policy import PolicyReads
from services.staffing.quota.decide import CommunityQuota
from services.staffing.quota.events import community_stream
from services.staffing.quota.schemas import (
    BodyBand,
    CommunityStaffing,
    QuotaDecisionView,
    StaffingExplanation,
)
from services.staffing.workforce.decide import CommunityPositions
from shared.errors import NotFound
from shared.eventstore import Envelope


class QuotaQueries(PolicyReads):
    async def staffing(self, code: str, as_of: datetime | None = None) -> CommunityStaffing:
        """The community's quota now, or as it stood at `as_of` (folded from the log)."""
        envelopes = await self.store.read_stream(community_stream(code), until=as_of)
        state, positions = CommunityQuota(), CommunityPositions()
        for envelope in envelopes:
            event = self.catalog.decode(envelope)
            state.apply(event)
            positions.apply(event)
        authorised, filled = positions.counts_on((as_of or datetime.now(UTC)).date())
        if state.facts is None:
            raise NotFound(f"staffing knows no community {code}")
        facts, quota = state.facts, state.quota
        pack = await self.policy.covering(facts.division_code)
        bodies = {k: BodyBand(**b.model_dump()) for k, b in (pack.bodies if pack else {}).items()}
        decided = [e for e in envelopes if e.event_type == "QuotaSet"]
        return CommunityStaffing(
            code=code, division_code=facts.division_code, major_type=facts.major_type,
            status=facts.status, quota=quota.quota if quota else None,
            rule=quota.rule if quota else None,
            policy_pack=decided[-1].metadata.get("policy_pack") if decided else None,
            bodies=bodies, authorised=authorised, filled=filled, vacant=authorised - filled,
            version=envelopes[-1].stream_version, as_of=as_of,
        )  # fmt: skip

    async def codes_in_region(self, region: str) -> list[str]:
        """The communities staffing follows whose division is in the pack region `region`
        (from the read model: let it catch up first)."""
        rows = await self.pool.fetch(
            "SELECT code, division_code FROM staffing_quotas ORDER BY code"
        )
        return [r["code"] for r in rows if self.book.covers(r["division_code"], region)]

    async def explain(self, code: str) -> StaffingExplanation:
        """Every quota decision with its inputs, rule, pack and cause: "why 33?"."""
        envelopes = await self.store.read_stream(community_stream(code))
        if not envelopes:
            raise NotFound(f"staffing knows no community {code}")
        decisions = [_decision(e) for e in envelopes if e.event_type == "QuotaSet"]
        return StaffingExplanation(
            code=code, quota=decisions[-1].quota if decisions else None, decisions=decisions
        )


def _decision(e: Envelope) -> QuotaDecisionView:
    p = e.payload
    return QuotaDecisionView(
        quota=p["quota"], previous=p["previous"], rule=p["rule"], source=p["source"],
        inputs=p["inputs"], policy_pack=e.metadata.get("policy_pack"), decided_at=e.recorded_at,
        caused_by=e.metadata.get("causation_id"), event_id=str(e.event_id),
    )  # fmt: skip
