"""Reads of the shipped packs and their publications (from the policy streams)."""

from __future__ import annotations

from services.registry.policy.events import policy_stream
from services.registry.policy.packs import PolicyBook
from services.registry.policy.schemas import PolicyPackDocument
from shared.eventstore import Envelope
from shared.queries import Queries


class PolicyQueries(Queries):
    async def policy_packs(
        self, book: PolicyBook, region: str | None = None, version: str | None = None
    ) -> list[PolicyPackDocument]:
        """The shipped pack versions (all, or those of `region` / `version`), each with its
        publication (from the policy streams)."""
        packs = sorted(
            (p for p in book.packs if region in (None, p.region) and version in (None, p.version)),
            key=lambda p: (p.region, p.effective_from),
        )
        published: dict[tuple[str, str], Envelope] = {}
        for name in sorted({pack.region for pack in packs}):
            for e in await self.store.read_stream(policy_stream(name)):
                published.setdefault((name, str(e.payload["version"])), e)
        hashes = {k: str(e.payload["content_sha256"]) for k, e in published.items()}
        deciding = {
            name: book.deciding(name, {v: h for (r, v), h in hashes.items() if r == name})
            for name in {pack.region for pack in packs}
        }
        documents = []
        for pack in packs:
            publication = published.get((pack.region, pack.version))
            document = PolicyPackDocument(
                region=pack.region,
                version=pack.version,
                name=pack.name,
                effective_from=pack.effective_from,
                in_force=deciding[pack.region] is pack,
                content_sha256=pack.content_sha256(),
                published_at=publication.recorded_at if publication else None,
                published_sha256=(
                    str(publication.payload["content_sha256"]) if publication else None
                ),
                pack=pack.model_dump(mode="json"),
            )
            documents.append(document)
        return documents
