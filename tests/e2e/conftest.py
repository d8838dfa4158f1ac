"""The platform as a district system sees it: the domain services and the gateway served over
real HTTP.

All run in the test process (so one in-memory span exporter sees every span) on their own
loopback ports, against the session's real PostgreSQL and Kafka-protocol broker.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.cli import KEEP_ALIVE_SECONDS
from services.funding.app import create_app as funding_app
from services.gateway.app import create_app as gateway_app
from services.gateway.auth import hash_key, new_key
from services.gateway.settings import GatewaySettings
from services.matters.app import create_app as matters_app
from services.registry.app import create_app as registry_app
from services.staffing.app import create_app as staffing_app
from shared.http_server import CoalescingHttpToolsProtocol
from shared.settings import KernelSettings
from shared.stack.embedded import free_port
from tests.conftest import SEAL_SIGNING_KEY, Stack, new_database


@dataclass
class Platform:
    gateway: str
    registry: str
    registry_db: str
    gateway_db: str
    staffing: str
    staffing_db: str
    matters: str
    matters_db: str
    funding: str
    funding_db: str
    bootstrap_servers: str
    keys: dict[str, str]  # client name -> API key
    http: aiohttp.ClientSession
    clients_file: Path  # the gateway's, which it reloads when it changes

    def auth(self, client: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[client]}"}


async def serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            http=CoalescingHttpToolsProtocol,  # as `wuding serve` runs them
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server failed to start"
        await asyncio.sleep(0.02)
    return server, task


@pytest.fixture(scope="session")
async def platform(
    stack: Stack, spans: InMemorySpanExporter, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    keys = {name: new_key() for name in ("zhenhai", "yinzhou", "xixian", "city")}
    clients = [
        {
            "client_id": "zhenhai",
            "kind": "district",
            "division_prefix": "330211",
            "key_sha256": hash_key(keys["zhenhai"]),
        },
        {
            "client_id": "yinzhou",
            "kind": "district",
            "division_prefix": "330212",
            "key_sha256": hash_key(keys["yinzhou"]),
        },
        {
            "client_id": "xixian",
            "kind": "district",
            "division_prefix": "6101",
            "key_sha256": hash_key(keys["xixian"]),
        },
        {"client_id": "city", "kind": "city", "key_sha256": hash_key(keys["city"])},
    ]
    clients_file = Path(tmp_path_factory.mktemp("gateway")) / "clients.json"
    clients_file.write_text(json.dumps(clients), "utf-8")
    apps: dict[str, Callable[[KernelSettings], FastAPI]] = {
        "registry": registry_app,
        "staffing": staffing_app,
        "matters": matters_app,
        "funding": funding_app,
    }
    dbs = {name: await new_database(stack, name) for name in apps}
    ports = {name: free_port() for name in apps}
    domain = {
        name: create(
            KernelSettings(
                env="test",
                service=name,
                database_url=dbs[name],
                kafka_bootstrap_servers=stack.bootstrap_servers,
                poll_interval_seconds=0.05,
                seal_signing_key=SEAL_SIGNING_KEY,
                seal_interval_seconds=1.0,  # seals soon after activity (the default is a minute)
            )
        )
        for name, create in apps.items()
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    gateway_db = await new_database(stack, "gateway")
    gateway_port = free_port()
    gateway = gateway_app(
        GatewaySettings(
            env="test",
            database_url=gateway_db,
            service_urls=urls,
            clients_file=clients_file,
            clients_reload_seconds=0.2,
        )
    )
    servers = [await serve(app, ports[name]) for name, app in domain.items()]
    servers.append(await serve(gateway, gateway_port))
    async with aiohttp.ClientSession() as http:
        yield Platform(
            gateway=f"http://127.0.0.1:{gateway_port}",
            registry=urls["registry"],
            registry_db=dbs["registry"],
            gateway_db=gateway_db,
            staffing=urls["staffing"],
            staffing_db=dbs["staffing"],
            matters=urls["matters"],
            matters_db=dbs["matters"],
            funding=urls["funding"],
            funding_db=dbs["funding"],
            bootstrap_servers=stack.bootstrap_servers,
            keys=keys,
            http=http,
            clients_file=clients_file,
        )
    for server, task in reversed(servers):
        server.should_exit = True
        await task


_used: set[str] = set()
_reserved_towns: set[str] = set()


def new_division(prefix: str = "330211") -> str:
    """A 12-digit division code under `prefix` not used before in this session (and not in a
    town a test reserved for itself with `new_town`, unless `prefix` is that town)."""
    while True:
        code = prefix + "".join(random.choice("123456789") for _ in range(12 - len(prefix)))
        reserved = code[:9] in _reserved_towns and not prefix.startswith(code[:9])
        if code not in _used and not reserved:
            _used.add(code)
            return code


def new_town(prefix: str = "330211") -> str:
    """A 9-digit town prefix no other division of this session is, or will be, under."""
    while True:
        town = prefix + "".join(random.choice("123456789") for _ in range(9 - len(prefix)))
        if town not in _reserved_towns and not any(code.startswith(town) for code in _used):
            _reserved_towns.add(town)
            return town


def community(division: str, **over: object) -> dict[str, object]:
    return {
        "name": "勤勇社区",
        "division_code": division,
        "major_type": "urban",
        "subtype": "老城区社区",
        "households": 2860,
        "residents": 7420,
        "area_km2": "1.35",
        **over,
    }


async def registered(platform: Platform) -> str:
    """Register a fresh Zhenhai community through the gateway; return its code."""
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(new_division()),
        headers=platform.auth("zhenhai"),
    ) as r:
        assert r.status == 201, await r.text()
        code: str = (await r.json())["code"]
    return code
