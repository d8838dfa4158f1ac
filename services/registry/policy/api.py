"""The policy-pack routes: every shipped version, in force or not, with its publication."""

from __future__ import annotations

from fastapi import APIRouter

from services.registry.policy.schemas import PolicyPackDocument, PolicyPackList, PolicyPackSummary
from services.registry.web import RegistryDep
from shared.errors import NotFound

router = APIRouter()


@router.get("/policy-packs", response_model=PolicyPackList)
async def list_policy_packs(runtime: RegistryDep) -> PolicyPackList:
    documents = await runtime.queries.policy_packs(runtime.commands.policy.book)
    return PolicyPackList(
        items=[PolicyPackSummary.model_validate(d.model_dump(exclude={"pack"})) for d in documents]
    )


@router.get("/policy-packs/{region}/{version}", response_model=PolicyPackDocument)
async def get_policy_pack(region: str, version: str, runtime: RegistryDep) -> PolicyPackDocument:
    found = await runtime.queries.policy_packs(runtime.commands.policy.book, region, version)
    if not found:
        raise NotFound(f"no policy pack {region}@{version}")
    return found[0]
