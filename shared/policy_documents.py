"""The shipped pack versions of a service as documents: in force or not, their content hash and
their publication (the `GET .../policy-packs` routes of every service that decides by packs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.policy_publication import PolicyInForce


class PolicyPackSummary(BaseModel):
    """A policy pack version as shipped, whether it is in force, and its publication."""

    region: str
    version: str
    name: str
    effective_from: date
    in_force: bool = Field(description="The version its region's decisions use today")
    content_sha256: str = Field(
        description="SHA-256 of the pack's canonical JSON (keys sorted, no spaces, UTF-8)"
    )
    published_at: datetime | None = Field(
        default=None, description="When PolicyPackPublished recorded it; null: not published"
    )
    published_sha256: str | None = Field(
        default=None, description="The content hash the publication recorded"
    )


class PolicyPackList(BaseModel):
    items: list[PolicyPackSummary]


class PolicyPackDocument(PolicyPackSummary):
    pack: dict[str, Any] = Field(description="The pack, every number with its seed source")


async def policy_documents(
    policy: PolicyInForce[Any], region: str | None = None, version: str | None = None
) -> list[PolicyPackDocument]:
    """The shipped pack versions (all, or those of `region` / `version`), each with its
    publication (from the policy streams)."""
    book = policy.book
    packs = sorted(
        (p for p in book.packs if region in (None, p.region) and version in (None, p.version)),
        key=lambda p: (p.region, p.effective_from),
    )
    published: dict[tuple[str, str], Envelope] = {}
    deciding = {}
    for name in sorted({pack.region for pack in packs}):
        for v, e in (await policy.publications(name)).items():
            published[name, v] = e
        hashes = {
            v: str(e.payload["content_sha256"]) for (r, v), e in published.items() if r == name
        }
        deciding[name] = book.deciding(name, hashes)
    documents = []
    for pack in packs:
        publication = published.get((pack.region, pack.version))
        documents.append(
            PolicyPackDocument(
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
        )
    return documents


def policy_pack_router(
    prefix: str, policy_of: Callable[[Request], PolicyInForce[Any]]
) -> APIRouter:
    """`GET {prefix}/policy-packs` and `GET {prefix}/policy-packs/{region}/{version}` over the
    packs `policy_of(request)` names (each service's own)."""
    router = APIRouter()

    @router.get(f"{prefix}/policy-packs", response_model=PolicyPackList)
    async def list_policy_packs(request: Request) -> PolicyPackList:
        documents = await policy_documents(policy_of(request))
        summaries = [d.model_dump(exclude={"pack"}) for d in documents]
        return PolicyPackList(items=[PolicyPackSummary.model_validate(d) for d in summaries])

    @router.get(f"{prefix}/policy-packs/{{region}}/{{version}}", response_model=PolicyPackDocument)
    async def get_policy_pack(region: str, version: str, request: Request) -> PolicyPackDocument:
        found = await policy_documents(policy_of(request), region, version)
        if not found:
            raise NotFound(f"no policy pack {region}@{version}")
        return found[0]

    return router
