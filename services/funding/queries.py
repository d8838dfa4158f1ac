"""Reads of funding: a community's lines and ledger for a year, and why a line is what it is.
Both fold the log (a community-year's streams are short): what is answered is what was
recorded, to the event."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.funding.disclosure import Disclosure, period_bounds, statement
from services.funding.ledger.events import PostingRecorded, ledger_stream
from services.funding.ledger.model import Ledger, totals
from services.funding.schemas import (
    BudgetLineView,
    CommunityFundingView,
    LineDecisionView,
    LineExplanation,
    OverdueList,
    OverdueView,
    PayerBalance,
)
from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import community_stream
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.queries import Queries
from shared.values import BEIJING


class FundingQueries(Queries):
    async def overdue(self, division_prefix: str, as_of: date) -> OverdueList:
        """The payers overdue on `as_of` under the prefix: flagged, their deadline before that
        day, and not cleared by its end (Beijing)."""
        end = datetime.combine(as_of + timedelta(days=1), time(), BEIJING)
        rows = await self.pool.fetch(
            """SELECT code, division_code, year, line, payer, deadline, part_fen, disbursed_fen,
                      flagged_at, cleared_at
               FROM funding_overdue
               WHERE starts_with(division_code, $1) AND deadline < $3
                 AND (cleared_at IS NULL OR cleared_at >= $2)
               ORDER BY deadline, code, line, payer""",
            division_prefix, end, as_of,
        )  # fmt: skip
        items = [OverdueView(**dict(r)) for r in rows]
        return OverdueList(division_prefix=division_prefix, as_of=as_of, items=items)

    async def _fold(self, stream: str, state: CommunityFunding | Ledger) -> list[Envelope]:
        envelopes = await self.store.read_stream(stream)
        for envelope in envelopes:
            state.apply(self.catalog.decode(envelope))
        return envelopes

    async def community_funding(self, code: str, year: int) -> CommunityFundingView:
        community, ledger = CommunityFunding(), Ledger()
        decided = await self._fold(community_stream(code), community)
        if community.facts is None:
            raise NotFound(f"funding knows no community {code}")
        postings = await self._fold(ledger_stream(code, year), ledger)
        packs = {
            (e.payload["year"], e.payload["line"]): e.metadata.get("policy_pack")
            for e in decided if e.event_type == "BudgetLineSet"
        }  # fmt: skip
        lines = []
        for line in community.lines_of(year):
            payers = []
            for part in line.payers:
                t = totals(ledger, line.line, part.payer)
                payers.append(PayerBalance(
                    payer=part.payer, share=part.share, part_fen=part.fen,
                    appropriated_fen=t["appropriated"], allocated_fen=t["allocated"],
                    disbursed_fen=t["disbursed"], spent_fen=t["spent"],
                ))  # fmt: skip
            lines.append(BudgetLineView(
                line=line.line, name=line.name, amount_fen=line.amount_fen, rule=line.rule,
                source=line.source, policy_pack=packs.get((year, line.line)), payers=payers,
                stops_from_year=community.stopped.get(line.line),
            ))  # fmt: skip
        facts = community.facts
        return CommunityFundingView(
            code=code, division_code=facts.division_code, major_type=facts.major_type,
            year=year, lines=lines, postings=len(ledger.postings),
            trial_balance_fen=ledger.trial_balance(),
            version=postings[-1].stream_version if postings else 0,
        )  # fmt: skip

    async def disclosure(self, code: str, period: str) -> Disclosure:
        """The community's statement of funds received and spent by line for `period`."""
        year, _, _ = period_bounds(period)
        community = CommunityFunding()
        await self._fold(community_stream(code), community)
        if community.facts is None:
            raise NotFound(f"funding knows no community {code}")
        envelopes = await self.store.read_stream(ledger_stream(code, year))
        postings = [(e.recorded_at, self.catalog.decode(e)) for e in envelopes]
        recorded = [(at, p) for at, p in postings if isinstance(p, PostingRecorded)]
        kinds = {p.posting_id: p.kind for _, p in recorded}
        lines = {line.line: (line.name, line.amount_fen) for line in community.lines_of(year)}
        division = community.facts.division_code
        return statement(code, division, period, lines, recorded, kinds)

    async def explain(self, code: str, year: int, line: str) -> LineExplanation:
        """Every decision of the line for the year with its inputs, rule, pack and cause."""
        envelopes = await self.store.read_stream(community_stream(code))
        if not envelopes:
            raise NotFound(f"funding knows no community {code}")
        mine = [
            e for e in envelopes
            if e.event_type == "BudgetLineSet"
            and (e.payload["year"], e.payload["line"]) == (year, line)
        ]  # fmt: skip
        if not mine:
            raise NotFound(f"community {code} has no budget line {line} for {year}")
        decisions = [_decision(e) for e in mine]
        return LineExplanation(
            code=code, year=year, line=line, name=mine[-1].payload["name"],
            amount_fen=decisions[-1].amount_fen, decisions=decisions,
        )  # fmt: skip


def _decision(e: Envelope) -> LineDecisionView:
    p = e.payload
    return LineDecisionView(
        amount_fen=p["amount_fen"], previous_fen=p["previous_fen"], payers=p["payers"],
        rule=p["rule"], source=p["source"], inputs=p["inputs"],
        policy_pack=e.metadata.get("policy_pack"), decided_at=e.recorded_at,
        caused_by=e.metadata.get("causation_id"), event_id=str(e.event_id),
    )  # fmt: skip
