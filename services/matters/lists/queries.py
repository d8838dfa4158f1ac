"""Reads of the lists and the catalogue: the log for a community's list at any moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from services.matters.catalogue.packs import CommunityType, MattersBook
from services.matters.lists.decide import CommunityList
from services.matters.lists.events import MatterListEnded, MatterListOpened, list_stream
from services.matters.policy import MattersPolicy, matters_policy
from services.matters.schemas import CataloguePackView, CatalogueView, CommunityMatters
from shared.errors import NotFound
from shared.queries import Queries


class ListQueries(Queries):
    book: MattersBook = MattersBook.shipped()

    @property
    def policy(self) -> MattersPolicy:
        return matters_policy(self.store.read_stream, self.book)

    async def catalogue(self, community_type: CommunityType) -> CatalogueView:
        """Each region's catalogue for the type, from the pack deciding now."""
        packs = []
        for region in sorted({p.region for p in self.book.packs}):
            pack, _ = await self.policy.published_pack(region)
            catalogue = pack.catalogues.get(community_type)
            source = catalogue.source if catalogue else pack.sources.get("catalogues", "none")
            packs.append(CataloguePackView(region=pack.region, version=pack.version,
                                           policy_pack=pack.ref, catalogue=catalogue,
                                           source=source))  # fmt: skip
        return CatalogueView(community_type=community_type, packs=packs)

    async def community_matters(self, code: str, as_of: datetime | None) -> CommunityMatters:
        """The community's list at `as_of` (now if absent), folded from its stream."""
        envelopes = await self.store.read_stream(list_stream(code))
        if not envelopes:
            raise NotFound(f"matters knows no community {code}")
        state, opened, ended, pack = CommunityList(), None, None, None
        for envelope in envelopes:
            event = self.catalog.decode(envelope)
            state.apply(event)
            if isinstance(event, MatterListOpened):
                opened, pack = event, envelope.metadata.get("policy_pack")
            elif isinstance(event, MatterListEnded):
                ended = event
        assert opened is not None and state.opened_at is not None
        at = as_of or datetime.now(UTC)
        items = state.listed_at(at)
        status: Literal["open", "ended", "not_yet_open"]
        if at < state.opened_at:
            status = "not_yet_open"
        else:
            status = "ended" if state.ended_at is not None and at >= state.ended_at else "open"
        return CommunityMatters(
            code=code, division_code=opened.division_code, community_type=opened.community_type,
            status=status, as_of=at, opened_at=state.opened_at, ended_at=state.ended_at,
            items=items, runways=sorted({m.runway for m in items}), source=opened.source,
            policy_pack=pack, successor=ended.successor if ended else None,
            version=envelopes[-1].stream_version,
        )  # fmt: skip
