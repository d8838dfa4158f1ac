"""The registry's public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of the registry (services/topology.py names
it). Each public path is the registry's own path under /v1.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.registry.community.schemas import (
    CommandAccepted,
    CommunityHistory,
    CommunityPage,
    CommunitySnapshot,
    CommunityView,
    EstablishCommitteeRequest,
    Explanation,
    PartyOrganisationRequest,
    RegisterCommunityRequest,
    SizeFindings,
    UpdateIndicatorsRequest,
)
from services.registry.conversion.schemas import (
    ConversionPage,
    ConversionStepRequest,
    ConversionView,
    ProposeConversionRequest,
)
from services.registry.conversion.workflow import ConversionStatus
from services.registry.establishment.schemas import (
    EstablishmentPage,
    EstablishmentStepRequest,
    EstablishmentView,
    ProposeEstablishmentRequest,
)
from services.registry.establishment.workflow import EstablishmentStatus, require_proposal_id
from services.registry.grids.schemas import (
    AssignToGridRequest,
    CommunityGrids,
    CreateGridRequest,
    MergeGridsRequest,
    MicroGridInput,
    ResizeGridRequest,
    SplitGridRequest,
)
from services.registry.params import PATH_PARAMETERS
from services.registry.runtime import registry_catalog
from shared.http_inputs import Moment
from shared.paging import PAGE, list_query
from shared.policy_documents import PolicyPackDocument, PolicyPackList
from shared.service_contract import (
    COMMUNITY,
    BodyField,
    PathCode,
    PrefixQuery,
    QueryParam,
    Route,
    ServiceContract,
)

# How the district is found: a community code's first 12 digits, a proposal id's prefix
# (12 digits, '-', 8 hex), the division a registration or proposal names, a list's prefix.
PROPOSAL = PathCode("proposal_id", require_proposal_id, r"[0-9]{12}-[0-9a-f]{8}")
DIVISION = BodyField("division_code")
PREFIX = PrefixQuery("division_prefix")

AS_OF = QueryParam(
    "as_of",
    Annotated[
        Moment | None,
        Query(
            description="Time travel: the community as it was then, e.g. 2025-06-30T00:00:00+08:00"
            " (in a URL: 2025-06-30T00:00:00%2B08:00)"
        ),
    ],
)


def _grid_command(
    name: str, method: str, path: str, model: type, summary: str, status_code: int | None = None
) -> Route:
    return Route(
        name, method, path, "command", COMMUNITY, CommunityGrids, summary, ("grids",),
        request_model=model, if_match=True, status_code=status_code,
    )  # fmt: skip


ROUTES = (
    Route(
        "policy_packs", "GET", "/policy-packs", "read", None, PolicyPackList,
        "Every policy pack version: in force or not, its content hash and its publication",
        ("policy",),
    ),
    Route(
        "policy_pack", "GET", "/policy-packs/{region}/{version}", "read", None,
        PolicyPackDocument,
        "One pack version: every weight, threshold and size rule with its seed source",
        ("policy",),
    ),
    Route(
        "register_community", "POST", "/communities", "command", DIVISION, CommunityView,
        "Register an existing community and issue its 17-digit code", ("registry",),
        request_model=RegisterCommunityRequest, status_code=201,
        responses={202: {"model": CommandAccepted}},
    ),
    Route(
        "update_indicators", "PATCH", "/communities/{code}/indicators", "command", COMMUNITY,
        CommunityView, "Update a community's indicators (households, residents, area)",
        ("registry",), request_model=UpdateIndicatorsRequest, if_match=True,
    ),
    Route(
        "get_community", "GET", "/communities/{code}", "read", COMMUNITY,
        CommunityView | CommunitySnapshot, "A community by its 17-digit code", ("registry",),
        query=(AS_OF,), hot=True,
    ),
    Route(
        "community_history", "GET", "/communities/{code}/history", "read", COMMUNITY,
        CommunityHistory,
        "Every event of a community: actor, time, policy version, hash-chain status",
        ("registry",),
    ),
    Route(
        "explain_community", "GET", "/communities/{code}/explain", "read", COMMUNITY,
        Explanation,
        "Why a community has its tier: each decision's inputs, policy pack and rule",
        ("registry",),
    ),
    Route(
        "community_findings", "GET", "/communities/{code}/findings", "read", COMMUNITY,
        SizeFindings,
        "Size findings (alerts, not refusals): open and resolved, with rule and figures",
        ("registry",),
    ),
    Route(
        "list_communities", "GET", "/communities", "read", PREFIX, CommunityPage,
        "Communities under a division-code prefix, in code order, with a cursor",
        ("registry",), query=PAGE,
    ),
    Route(
        "community_grids", "GET", "/communities/{code}/grids", "read", COMMUNITY,
        CommunityGrids,
        "A community's grids and micro-grids (closed ones too); `as_of` for the past",
        ("grids",),
        query=(QueryParam("as_of", Annotated[Moment | None, Query(description="Time travel")]),),
    ),
    _grid_command(
        "create_grid", "POST", "/communities/{code}/grids", CreateGridRequest,
        "Create a grid (with its micro-grids); its 17-digit grid code is issued", 201,
    ),
    _grid_command(
        "resize_grid", "PUT", "/communities/{code}/grids/{grid}/figures", ResizeGridRequest,
        "Resize a grid: its households, population, area, entities (and micro-grids')",
    ),
    _grid_command(
        "add_micro_grid", "POST", "/communities/{code}/grids/{grid}/micro-grids",
        MicroGridInput,
        "Add a micro-grid to a grid (一企一格 / 一园一格 / 一楼一格, or households)",
    ),
    _grid_command(
        "merge_grids", "POST", "/communities/{code}/grids/merge", MergeGridsRequest,
        "Merge grids: the sources close, a new grid holds their figures and micro-grids",
    ),
    _grid_command(
        "split_grid", "POST", "/communities/{code}/grids/{grid}/split", SplitGridRequest,
        "Split a grid into parts that divide its figures and micro-grids exactly",
    ),
    _grid_command(
        "assign_to_grid", "POST", "/communities/{code}/grids/{grid}/assignments",
        AssignToGridRequest,
        "Assign households, people or entities to a grid (new, or from another grid)",
    ),
    Route(
        "establish_residents_committee", "POST", "/communities/{code}/residents-committee",
        "command", COMMUNITY, CommunityView,
        "Record that the community's residents' committee was set up", ("registry",),
        request_model=EstablishCommitteeRequest, if_match=True,
    ),
    Route(
        "record_party_organisation", "PUT", "/communities/{code}/party-organisation",
        "command", COMMUNITY, CommunityView,
        "Record the community's party organisation (党委 / 总支 / 支部) and its party members:"
        " the funding service's party lines follow it (seed 000 §二(五)1)", ("registry",),
        request_model=PartyOrganisationRequest, if_match=True,
    ),
    Route(
        "propose_establishment", "POST", "/establishments", "command", DIVISION,
        EstablishmentView, "方案申报: propose an industrial community (seed 000 §二(一)4)",
        ("establishment",), request_model=ProposeEstablishmentRequest, status_code=201,
    ),
    Route(
        "take_establishment_step", "POST", "/establishments/{proposal_id}/steps", "command",
        PROPOSAL, EstablishmentView,
        "Record a step: preliminary_review, field_survey, joint_review, approval,"
        " registration (in that order; out of order is refused naming the missing step)",
        ("establishment",), request_model=EstablishmentStepRequest,
    ),
    Route(
        "get_establishment", "GET", "/establishments/{proposal_id}", "read", PROPOSAL,
        EstablishmentView,
        "One proposal: every step taken, its status and the step it waits for",
        ("establishment",),
    ),
    Route(
        "list_establishments", "GET", "/establishments", "read", PREFIX, EstablishmentPage,
        "Where each proposal stands, under a division prefix (optionally one status)",
        ("establishment",), query=list_query(EstablishmentStatus),
    ),
    Route(
        "propose_conversion", "POST", "/communities/{code}/conversions", "command", COMMUNITY,
        ConversionView, "撤村建居: propose converting a village community (seed 002 §三)",
        ("conversion",), request_model=ProposeConversionRequest, status_code=201,
    ),
    Route(
        "take_conversion_step", "POST", "/conversions/{proposal_id}/steps", "command",
        PROPOSAL, ConversionView,
        "Record a step: consent, civil_affairs_review, approval (successor created), filing",
        ("conversion",), request_model=ConversionStepRequest,
    ),
    Route(
        "get_conversion", "GET", "/conversions/{proposal_id}", "read", PROPOSAL,
        ConversionView, "One conversion proposal: its steps, status and the successor's code",
        ("conversion",),
    ),
    Route(
        "list_conversions", "GET", "/conversions", "read", PREFIX, ConversionPage,
        "Where each 撤村建居 proposal stands, under a division prefix (optionally one status)",
        ("conversion",), query=list_query(ConversionStatus),
    ),
)  # fmt: skip

CONTRACT = ServiceContract("registry", ROUTES, registry_catalog, PATH_PARAMETERS)
