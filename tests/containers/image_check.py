"""Build the service image and run it the way deploy/k8s runs it, on a Docker engine.

    python -m tests.containers.image_check [--standin-base]

- The image: the repository's Dockerfile. With `--standin-base` (no registry to pull
  python:3.11-slim from), its base is a stand-in built here from Debian bookworm with
  debootstrap: Python 3.11 and pip, the host's CA bundle (so pip reaches PyPI through whatever
  the host trusts), no "externally managed" marker; tagged `wuding-standin/python:3.11`.
- PostgreSQL and Kafka: the stand-ins of tests/containers/standins.py, on a private network.
- Each service as its pod runs it: `migrate` (the init container), then `serve`, with the
  ConfigMap's settings (deploy/k8s/base/config.yaml), as uid 10001, read-only root file system,
  every capability dropped, no new privileges; the gateway's clients file mounted read-only.
- Checks: both answer /readyz; a district system registers a community through the gateway
  and reads it back; every line either service wrote is JSON.

Prints what it checked; exits 1 on the first failure, with the containers' logs, and 3 when
the machine lacks what the check needs (a Debian mirror for the stand-in base, a route from a
container to PyPI for the build): that is the machine, not the image.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from services.gateway.auth import hash_key, new_key
from services.registry.community.schemas import EXAMPLE_REGISTRATION
from shared.sealing import new_signing_key
from tests.containers.standins import KAFKA_IMAGE, POSTGRES_IMAGE, RootFS

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "wuding:image-check"
PYTHON_STANDIN = "wuding-standin/python:3.11"
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The pods' securityContext (deploy/k8s/base/*.yaml), as docker run flags.
POD_SECURITY = [
    "--user", "10001:10001", "--read-only", "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
]  # fmt: skip


class MachineCannot(Exception):
    """Something this machine lacks (a mirror, a route), not a defect of the image."""


def docker(*args: str, check: bool = True) -> str:
    """The command's output; a failure raises with what docker said."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        said = done.stderr + done.stdout
        raise RuntimeError(f"docker {args[0]} failed ({done.returncode}):\n{said}")
    return done.stdout


def build_python_standin() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        bootstrap = subprocess.run(
            [
                "debootstrap", "--variant=minbase",
                "--include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates",
                "bookworm", str(root), "http://deb.debian.org/debian",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if bootstrap.returncode != 0:
            raise MachineCannot(f"debootstrap could not build the base: {bootstrap.stderr[-500:]}")
        shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "etc/ssl/certs/")
        (root / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        image = RootFS()
        image.copy(root, ".")
        image.import_as(PYTHON_STANDIN, [f"ENV PATH={DEBIAN_PATH}"])


def config_map() -> dict[str, str]:
    """The settings every pod gets, from the manifests themselves."""
    document = yaml.safe_load((ROOT / "deploy/k8s/base/config.yaml").read_text())
    return dict(document["data"])


@contextmanager
def network() -> Iterator[str]:
    name = f"wuding-image-{secrets.token_hex(4)}"
    docker("network", "create", name)
    try:
        yield name
    finally:
        names = docker("ps", "-aq", "--filter", f"network={name}").split()
        if names:
            docker("rm", "-f", *names, check=False)
        docker("network", "rm", name, check=False)


def wait_for(what: str, probe: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {seconds:.0f} s")


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def answers(url: str) -> bool:
    try:
        return http("GET", url)[0] == 200
    except OSError:
        return False


def published_port(container: str) -> str:
    return docker("port", container, "8080/tcp").split(":")[-1].strip()


def run_service(
    net: str, service: str, env: dict[str, str], mounts: list[str], owner_url: str
) -> str:
    """The pod: the migrate init container (as the owner role) to completion, then the service
    container (as the service's own role, without the owner's URL)."""
    env_flags = [flag for key, value in env.items() for flag in ("-e", f"{key}={value}")]
    common = ["--network", net, *POD_SECURITY, *env_flags, *mounts]
    owner = ["-e", f"WUDING_MIGRATION_DATABASE_URL={owner_url}"]
    docker("run", "--rm", *common, *owner, IMAGE, "migrate", "--service", service)
    name = f"{net}-{service}"
    docker(
        "run", "-d", "--name", name, "--network-alias", service, "-p", "127.0.0.1::8080",
        *common, IMAGE, "serve", service,
    )  # fmt: skip
    return name


def require_pypi_from_a_container(base: str) -> None:
    """The build installs from PyPI inside a container; some machines give containers no route."""
    probe = "import urllib.request as u; u.urlopen('https://pypi.org/simple/pip/', timeout=20)"
    if docker("run", "--rm", base, "python3", "-c", f"{probe}; print('ok')", check=False) != "ok\n":
        raise MachineCannot("a container here cannot reach PyPI (https://pypi.org)")


def check(standin_base: bool) -> None:
    if standin_base:
        build_python_standin()
    require_pypi_from_a_container(PYTHON_STANDIN if standin_base else "python:3.11-slim")
    build_args = ["--build-arg", f"PYTHON_IMAGE={PYTHON_STANDIN}"] if standin_base else []
    docker("build", "-q", *build_args, "-t", IMAGE, str(ROOT))
    print(f"built {IMAGE}")
    password = secrets.token_urlsafe(16)
    key = new_key()
    with network() as net, tempfile.TemporaryDirectory() as clients_dir:
        pg, kafka = f"{net}-postgres", f"{net}-kafka"
        docker(
            "run", "-d", "--name", pg, "--network", net, "-e", "POSTGRES_USER=wuding",
            "-e", f"POSTGRES_PASSWORD={password}", POSTGRES_IMAGE,
        )  # fmt: skip
        docker(
            "run", "-d", "--name", kafka, "--network", net,
            "-e", f"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{kafka}:9093",
            KAFKA_IMAGE, "/etc/confluent/docker/launch",
        )  # fmt: skip
        psql = ["exec", pg, "psql", "-h", "/tmp", "-U", "wuding", "-d", "wuding"]
        wait_for("postgres", lambda: docker(*psql, "-c", "select 1", check=False))
        for service in ("registry", "gateway"):  # deploy/k8s/README.md: two roles each
            for role in (f"wuding_{service}_owner", f"wuding_{service}"):
                docker(*psql, "-c", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            docker(*psql, "-c", f"CREATE DATABASE wuding_{service} OWNER wuding_{service}_owner")

        clients = Path(clients_dir) / "clients.json"
        entry = {"client_id": "ci-district", "kind": "district", "name": "CI 区",
                 "division_prefix": "3302", "key_sha256": hash_key(key)}  # fmt: skip
        clients.write_text(json.dumps([entry], ensure_ascii=False))
        clients.chmod(0o644)
        Path(clients_dir).chmod(0o755)
        env = config_map() | {
            # The stand-in broker, not the Strimzi cluster; Tansu refuses the idempotent
            # producer; no collector to send traces to here.
            "WUDING_KAFKA_BOOTSTRAP_SERVERS": f"{kafka}:9093",
            "WUDING_KAFKA_IDEMPOTENT_PRODUCER": "false",
            "WUDING_TRACE_EXPORTER": "none",
        }

        def url(role: str, service: str) -> str:
            return f"postgresql://{role}:{password}@{pg}:5432/wuding_{service}"

        registry = run_service(
            net, "registry",
            env | {"WUDING_SERVICE": "registry",
                   "WUDING_DATABASE_URL": url("wuding_registry", "registry"),
                   "WUDING_SEAL_SIGNING_KEY": new_signing_key()},
            [], url("wuding_registry_owner", "registry"),
        )  # fmt: skip
        gateway = run_service(
            net, "gateway",
            env | {"WUDING_SERVICE": "gateway",
                   "WUDING_DATABASE_URL": url("wuding_gateway", "gateway")},
            ["-v", f"{clients_dir}:/etc/wuding/clients:ro"], url("wuding_gateway_owner", "gateway"),
        )  # fmt: skip
        try:
            base = {s: f"http://127.0.0.1:{published_port(s)}" for s in (registry, gateway)}
            for service in (registry, gateway):
                wait_for(f"{service} /readyz", lambda s=service: answers(f"{base[s]}/readyz"))
            print("registry and gateway ready: non-root, read-only root, no capabilities")

            auth = {"Authorization": f"Bearer {key}", "Idempotency-Key": secrets.token_hex(8)}
            status, created = http("POST", f"{base[gateway]}/v1/communities",
                                   EXAMPLE_REGISTRATION, auth)  # fmt: skip
            assert status == 201, (status, created)
            status, read = http("GET", f"{base[gateway]}/v1/communities/{created['code']}",
                                headers={"Authorization": f"Bearer {key}"})  # fmt: skip
            assert status == 200 and read["name"] == EXAMPLE_REGISTRATION["name"], (status, read)
            print(f"registered {created['code']} {read['name']} through the gateway, read back")

            for service in (registry, gateway):
                logs = docker("logs", service).splitlines()
                assert logs, f"{service} logged nothing"
                for line in logs:
                    json.loads(line)  # raises on a line that is not JSON
            print("every log line of both services is JSON")
        except Exception:
            for name in (registry, gateway):
                print(f"--- {name} logs ---", file=sys.stderr)
                subprocess.run(["docker", "logs", name], check=False)
            raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--standin-base", action="store_true", help="no registry: build the base")
    try:
        check(parser.parse_args().standin_base)
    except MachineCannot as reason:
        print(f"image check cannot run on this machine: {reason}", file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
