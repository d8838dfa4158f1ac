"""The published contracts pass the tools a consumer would point at them.

AsyncAPI: npm's @asyncapi/parser (tests/contracts/validators.py). OpenAPI: openapi-spec-validator,
then schemathesis against the running gateway, positive and negative data, every check.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from tests.contracts.validators import asyncapi_errors
from tests.e2e.conftest import Platform

ROOT = Path(__file__).parents[2]

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


async def fetch(platform: Platform, url: str) -> dict[str, Any]:
    async with platform.http.get(url) as r:
        assert r.status == 200
        document: dict[str, Any] = await r.json()
        return document


async def test_the_asyncapi_contract_passes_the_reference_parser(platform: Platform) -> None:
    """Guards: the AsyncAPI document parses with @asyncapi/parser with no error. Before, it had
    5 invalid-ref errors (pydantic's `$defs` left inside payloads, referenced from the root);
    it also names its servers and says `send`, as the application publishes."""
    doc = await fetch(platform, f"{platform.gateway}/v1/contracts/asyncapi.json")
    assert asyncapi_errors(doc) == []
    assert {s["protocol"] for s in doc["servers"].values()} == {"kafka"}
    assert {op["action"] for op in doc["operations"].values()} == {"send"}
    assert "GridFigures" in doc["components"]["schemas"]  # a nested model, defined once


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


async def test_the_openapi_documents_are_valid_and_say_what_the_server_does(
    platform: Platform,
) -> None:
    """Guards: both OpenAPI documents pass openapi-spec-validator; the gateway declares its
    bearer scheme on every route that needs a key (so /docs "Try it out" sends it); every
    error response is an application/problem+json Problem; operation ids are the endpoint's
    camelCase name; path parameters carry the pattern the server enforces."""
    gateway = await fetch(platform, f"{platform.gateway}/openapi.json")
    registry = await fetch(platform, f"{platform.registry}/openapi.json")
    for document in (gateway, registry):
        validate(document)
        ids = [op["operationId"] for _, _, op in operations(document)]
        assert len(ids) == len(set(ids)) and all(CAMEL_CASE.match(i) for i in ids), ids
        assert "registerCommunity" in ids and "getCommunity" in ids
        for method, path, op in operations(document):
            for status, response in op["responses"].items():
                if status[0] in "45":
                    assert response["content"] == {
                        "application/problem+json": {"schema": PROBLEM_REF}
                    }, (method, path, status)
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "code":
                    assert parameter["schema"]["pattern"] == r"^[0-9]{12}[123][0-9]{4}$"
                if parameter["in"] == "path" and parameter["name"] == "proposal_id":
                    assert parameter["schema"]["pattern"] == r"^[0-9]{12}-[0-9a-f]{8}$"
        assert set(document["components"]["schemas"]["Problem"]["properties"]) >= {
            "type", "title", "status", "detail", "errors",
        }  # fmt: skip
    assert gateway["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Your API key: `Authorization: Bearer <key>`.",
        }
    }
    for method, path, op in operations(gateway):
        public = path == "/v1/contracts/asyncapi.json"
        assert ("security" in op) != public, (method, path)
        if not public:
            assert op["security"] == [{"bearer": []}]


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    platform: Platform, tmp_path: Path
) -> None:
    """Guards: schemathesis against the running gateway (positive and negative data, every
    check, a bounded number of examples per operation) reports no failure: no 5xx, no
    status, content type, header or body the document does not declare, and no refusal of
    schema-valid data but for the rules JSON Schema cannot say (tests/contracts/
    schemathesis_hooks.py; it found the Idempotency-Key's missing whitespace rule)."""
    schemathesis = Path(sys.executable).with_name("schemathesis")
    run = await asyncio.create_subprocess_exec(
        str(schemathesis), "run", f"{platform.gateway}/openapi.json",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",  # hooks: refined
        "--mode", "all", "--max-examples", "4", "--seed", "9",
        "--phases", "coverage,fuzzing", "--workers", "1", "--no-color",
        "--suppress-health-check", "all", "--request-timeout", "10",
        # The city platform: it reads everything and its commands are refused (403) before
        # they reach the registry, so the run appends nothing other tests would count.
        "-H", f"Authorization: Bearer {platform.keys['city']}",
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT),
             "SCHEMATHESIS_HOOKS": "tests.contracts.schemathesis_hooks"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(run.communicate(), timeout=480)
    assert run.returncode == 0, out.decode()[-20000:]


async def test_a_405_names_every_method_the_path_takes(platform: Platform) -> None:
    """Guards: a 405's Allow lists every method of the path (RFC 9110), not only the first
    route's: /v1/communities is a GET route and a POST route (schemathesis found it)."""
    for base, path in ((platform.gateway, "/v1/communities"), (platform.registry, "/communities")):
        async with platform.http.options(base + path) as r:
            assert r.status == 405
            assert r.headers["Allow"] == "GET, POST"
            assert r.content_type == "application/problem+json"
