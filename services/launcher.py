"""`wuding run`: start the embedded stack and every service as its own process.

Uses WUDING_KAFKA_BOOTSTRAP_SERVERS (or its alias KAFKA_BOOTSTRAP_SERVERS) and
WUDING_POSTGRES_ADMIN_URL instead of the embedded broker and database when they are set; the
embedded ones listen on WUDING_PG_PORT and WUDING_KAFKA_PORT, each service on
WUDING_<SERVICE>_PORT (all read through shared/settings.py's StackSettings). Ctrl-C (or
SIGTERM) stops everything it started, services first.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pydantic import create_model

from services.gateway.auth import hash_key, new_key
from services.registry.community.schemas import EXAMPLE_REGISTRATION
from services.topology import SERVICES, prepare_databases
from shared.sealing import new_signing_key
from shared.settings import StackSettings
from shared.stack.embedded import (
    EmbeddedBroker,
    EmbeddedPostgres,
    die_with_parent,
    wait_for_port,
)

DEV_DISTRICT = {"client_id": "zhenhai-district", "name": "镇海区基层治理平台", "prefix": "330211"}


def dev_clients(state_dir: Path) -> tuple[Path, dict[str, str]]:
    """Development API keys, made on the first run and kept in .wuding/ (never committed)."""
    keys_path, clients_path = state_dir / "dev-keys.json", state_dir / "clients.json"
    if not keys_path.exists():
        keys = {"district": new_key(), "city": new_key()}
        clients = [
            {
                "client_id": DEV_DISTRICT["client_id"],
                "kind": "district",
                "name": DEV_DISTRICT["name"],
                "division_prefix": DEV_DISTRICT["prefix"],
                "key_sha256": hash_key(keys["district"]),
            },
            {
                "client_id": "city-data-platform",
                "kind": "city",
                "name": "市级数据平台",
                "division_prefix": "",
                "key_sha256": hash_key(keys["city"]),
            },
        ]
        clients_path.write_text(json.dumps(clients, ensure_ascii=False, indent=2), "utf-8")
        keys_path.write_text(json.dumps(keys), "utf-8")
        keys_path.chmod(0o600)
    return clients_path, json.loads(keys_path.read_text("utf-8"))


def dev_secret(path: Path, make: Callable[[], str]) -> str:
    """A development secret made on the first run and kept in .wuding/ (never committed)."""
    if not path.exists():
        path.write_text(make(), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def dev_role_passwords(state_dir: Path) -> dict[str, str]:
    """The database roles' passwords (shared/db.py), kept in .wuding/db-roles.json."""
    text = dev_secret(state_dir / "db-roles.json", lambda: "{}")
    passwords: dict[str, str] = json.loads(text)
    return passwords


def spawn_service(
    name: str,
    database_url: str,
    bootstrap_servers: str,
    ports: dict[str, int],
    clients_file: Path,
    output: IO[bytes] | None = None,
    **extra_env: str,
) -> subprocess.Popen[bytes]:
    """`wuding serve NAME` as a child that dies with this process; its stdout and stderr go to
    `output` when given (the fault tests keep each process's log), else to ours."""
    env = {
        **os.environ,
        "WUDING_SERVICE": name,
        "WUDING_DATABASE_URL": database_url,
        "WUDING_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "WUDING_HTTP_PORT": str(ports[name]),
        "WUDING_SERVICE_URLS": json.dumps(
            {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        ),
        "WUDING_CLIENTS_FILE": str(clients_file),
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", name],
        env=env,
        preexec_fn=die_with_parent,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )


def example_request(gateway: str, key: str) -> str:
    body = json.dumps(EXAMPLE_REGISTRATION, ensure_ascii=False)
    return (
        f"curl -s -X POST {gateway}/v1/communities \\\n"
        f"  -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n"
        f"  -H 'Idempotency-Key: example-0001' \\\n  -d '{body}'\n"
        f"curl -s {gateway}/v1/communities/<code> -H 'Authorization: Bearer {key}'"
    )


def launcher_settings() -> StackSettings:
    """StackSettings with a `<service>_port` for each service of the topology."""
    ports: dict[str, tuple[type[int], int]] = {
        f"{name}_port": (int, spec.default_port) for name, spec in SERVICES.items()
    }
    model = create_model("LauncherSettings", __base__=StackSettings, **ports)  # type: ignore[call-overload]
    settings: StackSettings = model()
    return settings


def run_everything(state_dir: Path) -> int:
    config = launcher_settings()
    state_dir.mkdir(parents=True, exist_ok=True)
    started: list[EmbeddedPostgres | EmbeddedBroker] = []
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        admin_url = config.postgres_admin_url
        if not admin_url:
            postgres = EmbeddedPostgres(state_dir / "pgdata", config.pg_port)
            postgres.start()
            started.append(postgres)
            admin_url = postgres.admin_url
        bootstrap = config.kafka_bootstrap_servers
        if not bootstrap:
            broker = EmbeddedBroker(config.kafka_port, state_dir / "tansu.log")
            broker.start()
            started.append(broker)
            bootstrap = broker.bootstrap_servers
        passwords = dev_role_passwords(state_dir)
        urls = asyncio.run(prepare_databases(admin_url, passwords))
        (state_dir / "db-roles.json").write_text(json.dumps(passwords), "utf-8")  # any new ones
        seal_key = dev_secret(state_dir / "seal-key", new_signing_key)
        clients_file, keys = dev_clients(state_dir)
        ports: dict[str, int] = {name: getattr(config, f"{name}_port") for name in SERVICES}
        children += [
            spawn_service(
                name, urls[name].service, bootstrap, ports, clients_file,
                WUDING_SEAL_SIGNING_KEY=seal_key,
            )
            for name in SERVICES
        ]  # fmt: skip
        for port in ports.values():
            wait_for_port(port, timeout=60)
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        internal = "".join(
            f"  {name:<8} http://127.0.0.1:{port} (internal)\n"
            for name, port in ports.items()
            if name != "gateway"
        )
        topics = ", ".join(f"{name}.events" for name in SERVICES if SERVICES[name].event_sourced)
        print(
            f"\nWuding is running.\n  gateway  {gateway}   docs {gateway}/docs\n{internal}"
            f"  kafka    {bootstrap}   topics {topics}\n  postgres {admin_url}\n\n"
            f"Development API keys (in {state_dir}/dev-keys.json):\n"
            f"  district 330211 (镇海区): {keys['district']}\n"
            f"  city platform:      {keys['city']}\n\n"
            f"Try it:\n{example_request(gateway, keys['district'])}\n\nCtrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            for name, child in zip(SERVICES, children, strict=True):
                if child.poll() is not None and not stopping:
                    print(
                        f"the {name} service exited with code {child.returncode};"
                        " stopping everything",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        for part in reversed(started):
            try:
                part.stop()
            except Exception as exc:  # keep stopping the rest; say what failed
                print(f"stopping {type(part).__name__} failed: {exc!r}", file=sys.stderr)
        print("stopped", flush=True)
