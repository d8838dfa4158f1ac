"""The gateway is generated from the services' contracts (issue 9 §4)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.gateway.app import create_app
from services.gateway.contracts import service_contracts
from services.gateway.settings import GatewaySettings
from services.registry.community.schemas import CommunityView
from shared.service_contract import BodyField, Route

GATEWAY = Path(__file__).parents[2] / "services" / "gateway"

# The gateway's public operations before it was generated from contracts (hand-written routes):
# the generated gateway keeps every one, with the same operationId.
OPERATIONS = {
    ("GET", "/v1/communities"): "listCommunities",
    ("POST", "/v1/communities"): "registerCommunity",
    ("GET", "/v1/communities/{code}"): "getCommunity",
    ("POST", "/v1/communities/{code}/conversions"): "proposeConversion",
    ("GET", "/v1/communities/{code}/explain"): "explainCommunity",
    ("GET", "/v1/communities/{code}/findings"): "communityFindings",
    ("GET", "/v1/communities/{code}/grids"): "communityGrids",
    ("POST", "/v1/communities/{code}/grids"): "createGrid",
    ("POST", "/v1/communities/{code}/grids/merge"): "mergeGrids",
    ("POST", "/v1/communities/{code}/grids/{grid}/assignments"): "assignToGrid",
    ("PUT", "/v1/communities/{code}/grids/{grid}/figures"): "resizeGrid",
    ("POST", "/v1/communities/{code}/grids/{grid}/micro-grids"): "addMicroGrid",
    ("POST", "/v1/communities/{code}/grids/{grid}/split"): "splitGrid",
    ("GET", "/v1/communities/{code}/history"): "communityHistory",
    ("PATCH", "/v1/communities/{code}/indicators"): "updateIndicators",
    ("POST", "/v1/communities/{code}/residents-committee"): "establishResidentsCommittee",
    ("PUT", "/v1/communities/{code}/party-organisation"): "recordPartyOrganisation",
    ("GET", "/v1/contracts/asyncapi.json"): "eventContracts",
    ("GET", "/v1/conversions"): "listConversions",
    ("GET", "/v1/conversions/{proposal_id}"): "getConversion",
    ("POST", "/v1/conversions/{proposal_id}/steps"): "takeConversionStep",
    ("GET", "/v1/establishments"): "listEstablishments",
    ("POST", "/v1/establishments"): "proposeEstablishment",
    ("GET", "/v1/establishments/{proposal_id}"): "getEstablishment",
    ("POST", "/v1/establishments/{proposal_id}/steps"): "takeEstablishmentStep",
    ("GET", "/v1/policy-packs"): "policyPacks",
    ("GET", "/v1/policy-packs/{region}/{version}"): "policyPack",
    ("GET", "/v1/staffing/policy-packs"): "staffingPolicyPacks",
    ("GET", "/v1/staffing/policy-packs/{region}/{version}"): "staffingPolicyPack",
    ("GET", "/v1/communities/{code}/staffing"): "getStaffing",
    ("GET", "/v1/communities/{code}/staffing/explain"): "explainStaffing",
    ("GET", "/v1/communities/{code}/positions"): "communityPositions",
    ("GET", "/v1/districts/{prefix}/staffing"): "districtStaffing",
    ("PUT", "/v1/districts/{prefix}/incomes/{year}"): "recordDistrictIncome",
    ("GET", "/v1/communities/{code}/staffing/findings"): "staffingFindings",
    ("GET", "/v1/communities/{code}/grids/{grid}/team"): "gridTeam",
    ("POST", "/v1/communities/{code}/grids/{grid}/team"): "joinGridTeam",
    ("POST", "/v1/communities/{code}/grids/{grid}/team/leave"): "leaveGridTeam",
    ("POST", "/v1/communities/{code}/positions"): "authorisePosition",
    ("POST", "/v1/positions/{position_id}/abolish"): "abolishPosition",
    ("POST", "/v1/workers"): "recruitWorker",
    ("GET", "/v1/workers"): "listWorkers",
    ("GET", "/v1/workers/{worker_id}"): "workerRecord",
    ("POST", "/v1/workers/{worker_id}/assign"): "assignWorker",
    ("POST", "/v1/workers/{worker_id}/transfer"): "transferWorker",
    ("POST", "/v1/workers/{worker_id}/leave"): "startLeave",
    ("POST", "/v1/workers/{worker_id}/return"): "endLeave",
    ("POST", "/v1/workers/{worker_id}/depart"): "departWorker",
    ("POST", "/v1/workers/{worker_id}/appraisals"): "appraiseWorker",
    ("POST", "/v1/workers/{worker_id}/pay"): "recordPay",
    ("POST", "/v1/workers/{worker_id}/qualifications"): "recordQualification",
    ("GET", "/v1/matters/policy-packs"): "mattersPolicyPacks",
    ("GET", "/v1/matters/policy-packs/{region}/{version}"): "mattersPolicyPack",
    ("GET", "/v1/catalogue"): "catalogue",
    ("GET", "/v1/communities/{code}/matters"): "communityMatters",
    ("POST", "/v1/communities/{code}/tasks"): "pushTask",
    ("POST", "/v1/admissions"): "applyForAdmission",
    ("POST", "/v1/admissions/{admission_id}/meeting"): "conveneJointMeeting",
    ("POST", "/v1/admissions/{admission_id}/judgements"): "judgeAdmissionItem",
    ("POST", "/v1/admissions/{admission_id}/decision"): "decideAdmission",
    ("POST", "/v1/admissions/{admission_id}/handovers"): "signHandover",
    ("GET", "/v1/admissions/{admission_id}"): "getAdmission",
    ("GET", "/v1/admissions"): "listAdmissions",
    ("POST", "/v1/matters/{matter_id}/exit"): "exitMatter",
    ("GET", "/v1/districts/{area}/burden-report"): "burdenReport",
    ("GET", "/v1/funding/policy-packs"): "fundingPolicyPacks",
    ("GET", "/v1/funding/policy-packs/{region}/{version}"): "fundingPolicyPack",
    ("GET", "/v1/communities/{code}/funding"): "communityFunding",
    ("GET", "/v1/communities/{code}/funding/explain"): "explainFundingLine",
    ("POST", "/v1/funding/postings"): "postToLedger",
    ("POST", "/v1/funding/rollover"): "rollOverBudgetYear",
    ("GET", "/v1/funding/overdue"): "fundingOverdue",
    ("GET", "/v1/communities/{code}/disclosure"): "communityDisclosure",
    ("GET", "/v1/districts/{area}/funding-report"): "fundingReport",
}


def _service_imports(source: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {m for m in modules if m.startswith("services.")}


def test_the_gateway_imports_nothing_of_a_service_but_its_contract() -> None:
    """Guards: the hand-written gateway imported registry internals (code checks, statuses,
    schemas, its runtime) 30 times; a service's change then reached into the gateway."""
    outside = {
        f"{source.name}: {module}"
        for source in GATEWAY.glob("*.py")
        for module in _service_imports(source)
        if not module.startswith("services.gateway")
        and module != "services.topology"
        and not (module.count(".") == 2 and module.endswith(".contract"))
    }
    assert not outside


def test_the_gateway_serves_exactly_its_contracts_routes_as_before() -> None:
    """Guards: a route lost or renamed when the gateway became generated. Every operation of
    the hand-written gateway is still there (its operationId now camelCase, §5), and every
    route is a contract's (with its summary and response model) or the AsyncAPI document."""
    document = create_app(GatewaySettings()).openapi()
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert {key: op["operationId"] for key, op in operations.items()} == (OPERATIONS)
    routes = {
        (route.method, "/v1" + route.path): route
        for contract in service_contracts()
        for route in contract.routes
    }
    assert set(routes) == set(OPERATIONS) - {("GET", "/v1/contracts/asyncapi.json")}
    for key, route in routes.items():
        assert operations[key]["summary"] == route.summary
        assert operations[key]["tags"] == list(route.tags)
        success = str(route.status_code or 200)
        assert "application/json" in operations[key]["responses"][success]["content"]
        if route.request_model is not None:
            assert operations[key]["requestBody"]["required"] is True


def test_the_registry_contract_names_where_each_district_is_found() -> None:
    """Guards: a command the gateway cannot scope. Every command names its district, and only
    policy packs (public to every client) are read without one."""
    [registry] = [c for c in service_contracts() if c.service == "registry"]
    unscoped = {route.name for route in registry.routes if route.district is None}
    assert unscoped == {"policy_packs", "policy_pack"}
    with pytest.raises(ValueError, match="needs the district"):
        Route("x", "POST", "/x", "command", None, CommunityView, "x", ("x",))
    with pytest.raises(ValueError, match="gateway's parameter names"):
        Route("x", "GET", "/x/{who}", "read", None, CommunityView, "x", ("x",))
    with pytest.raises(ValueError, match="can be hot"):
        Route("x", "GET", "/x", "read", BodyField("d"), CommunityView, "x", ("x",), hot=True)


def test_every_contract_route_is_a_route_the_registry_serves() -> None:
    """The contract and the registry's routes are written apart (the gateway may import only
    the contract): each public route must be one the service runs, answering the same model."""
    from services.registry.app import create_app as registry_app
    from services.registry.contract import CONTRACT
    from shared.settings import KernelSettings

    paths = registry_app(KernelSettings(service="registry")).openapi()["paths"]
    for route in CONTRACT.routes:
        operation = paths.get(route.path, {}).get(route.method.lower())
        assert operation is not None, f"{route.method} {route.path}"
        if route.response_model is not None:
            success = operation["responses"][str(route.status_code or 200)]
            schema = success["content"]["application/json"]["schema"]
            models = getattr(route.response_model, "__args__", (route.response_model,))
            for model in models:  # a union: each of its models
                assert model.__name__ in str(schema), route.path
