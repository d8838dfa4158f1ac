"""The catalogue and list routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.matters.catalogue.packs import CommunityType
from services.matters.runtime import matters_of
from services.matters.schemas import CatalogueView, CommunityMatters
from shared.community_code import require_valid_code
from shared.http_inputs import Moment

router = APIRouter()


@router.get("/catalogue", response_model=CatalogueView)
async def catalogue(request: Request, community_type: CommunityType) -> CatalogueView:
    return await matters_of(request).queries.catalogue(community_type)


@router.get("/communities/{code}/matters", response_model=CommunityMatters)
async def community_matters(
    code: str, request: Request, as_of: Annotated[Moment | None, Query()] = None
) -> CommunityMatters:
    return await matters_of(request).queries.community_matters(require_valid_code(code), as_of)
