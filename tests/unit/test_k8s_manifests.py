"""deploy/k8s renders with kustomize (offline) and says what the code expects of it.

Rendering needs `kubectl` (with its built-in kustomize), which the development and CI
machines have. There is no cluster here, so these checks stand in for schema validation:
they pin what would break the platform at start-up or weaken it in operation.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.funding.standards.handlers import CONSUMER as FUNDING
from services.gateway.settings import GatewaySettings
from services.matters.lists.handlers import CONSUMER as MATTERS
from services.staffing.quota.handlers import CONSUMER as STAFFING
from services.topology import SERVICES
from shared.kafka import dead_letter_topic, events_topic
from shared.settings import KernelSettings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
EVENT_SOURCED = sorted(name for name, spec in SERVICES.items() if spec.event_sourced)
# Every consumer group in the code: each has its dead-letter topic.
CONSUMERS = (STAFFING, MATTERS, FUNDING)


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed to render deploy/k8s (apt install kubectl)")
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in render(overlay) if d["kind"] == kind}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_runs_hardened_with_probes_and_a_pinned_image(overlay: str) -> None:
    deployments = of_kind(overlay, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        [container] = pod["containers"]
        assert container["args"] == ["serve", name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        [migrate] = pod["initContainers"]
        assert migrate["args"] == ["migrate", "--service", name]
        for c in (container, migrate):
            image = c["image"]
            assert ":" in image and not image.endswith(":latest"), (name, image)
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
        assert name in of_kind(overlay, "Service")
        assert deployment["metadata"]["namespace"] == f"wuding{'-dev' if overlay == 'dev' else ''}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_named_is_one_the_services_read(overlay: str) -> None:
    """A misspelt variable would be ignored silently (extra="ignore"): catch it here."""
    known = {f"WUDING_{f.upper()}" for f in GatewaySettings.model_fields} | {
        f"WUDING_{f.upper()}" for f in KernelSettings.model_fields
    }
    [config] = of_kind(overlay, "ConfigMap").values()
    named = set(config["data"])
    for deployment in of_kind(overlay, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for c in [*pod["containers"], *pod["initContainers"]]:
            named |= {e["name"] for e in c.get("env", [])}
    ours = {n for n in named if n.startswith("WUDING_")}
    assert ours <= known, sorted(ours - known)
    assert named - ours <= {"OTEL_EXPORTER_OTLP_ENDPOINT"}, sorted(named - ours)
    assert config["data"]["WUDING_ENV"] == "production"  # no default may hold a secret
    registry_port = of_kind(overlay, "Service")["registry"]["spec"]["ports"][0]["port"]
    assert config["data"]["WUDING_REGISTRY_URL"] == f"http://registry:{registry_port}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_shipped(overlay: str) -> None:
    assert of_kind(overlay, "Secret") == {}
    referenced = set()
    for deployment in of_kind(overlay, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for c in [*pod["containers"], *pod["initContainers"]]:
            for e in c.get("env", []):
                if "valueFrom" in e:
                    referenced.add(e["valueFrom"]["secretKeyRef"]["name"])
        referenced |= {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert referenced == {"wuding-registry-database", "wuding-gateway-database",
                          "wuding-gateway-clients", "wuding-registry-seal-key",
                          "wuding-staffing-database", "wuding-staffing-seal-key",
                          "wuding-matters-database", "wuding-matters-seal-key",
                          "wuding-funding-database", "wuding-funding-seal-key"}  # fmt: skip
    for secret in referenced:
        assert secret in readme, f"deploy/k8s/README.md does not say how to create {secret}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_event_sourced_service_has_its_topic_on_a_durable_kafka(overlay: str) -> None:
    declared = of_kind(overlay, "KafkaTopic")
    dead_letters = {dead_letter_topic(consumer) for consumer in CONSUMERS}
    assert set(declared) == {events_topic(name) for name in EVENT_SOURCED} | dead_letters
    for name in dead_letters:  # as durable as the events, whatever their partitions
        assert declared[name]["spec"]["config"]["min.insync.replicas"] >= (
            2 if overlay == "production" else 1
        )
    topics = {name: t for name, t in declared.items() if name not in dead_letters}
    [kafka] = of_kind(overlay, "Kafka").values()
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    [pool] = of_kind(overlay, "KafkaNodePool").values()
    # The relay refuses a topic with another partition count than it is configured for.
    [settings] = of_kind(overlay, "ConfigMap").values()
    partitions = int(settings["data"]["WUDING_KAFKA_TOPIC_PARTITIONS"])
    for topic in topics.values():
        assert topic["spec"]["partitions"] == partitions
        assert topic["spec"]["replicas"] <= pool["spec"]["replicas"]
        assert topic["spec"]["config"]["min.insync.replicas"] <= topic["spec"]["replicas"]
    if overlay == "production":
        assert pool["spec"]["replicas"] >= 3 and config["min.insync.replicas"] >= 2
        assert pool["spec"]["storage"]["volumes"][0]["deleteClaim"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_the_owner_and_services_as_their_own_role(overlay: str) -> None:
    """Least privilege: only the migrate init container gets the owner's URL (it also reads the
    service's, to know whom to grant); a serving container never does. Every event-sourced
    service gets its seal signing key."""
    for name, deployment in of_kind(overlay, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        [migrate], [container] = pod["initContainers"], pod["containers"]

        def keys(c: dict[str, Any]) -> dict[str, tuple[str, str]]:
            return {
                e["name"]: (e["valueFrom"]["secretKeyRef"]["name"],
                            e["valueFrom"]["secretKeyRef"]["key"])
                for e in c.get("env", []) if "valueFrom" in e
            }  # fmt: skip

        database = f"wuding-{name}-database"
        assert keys(migrate)["WUDING_MIGRATION_DATABASE_URL"] == (database, "owner-url")
        assert keys(migrate)["WUDING_DATABASE_URL"] == (database, "url")
        assert keys(container)["WUDING_DATABASE_URL"] == (database, "url")
        assert "WUDING_MIGRATION_DATABASE_URL" not in keys(container)
        if name in EVENT_SOURCED:
            assert keys(container)["WUDING_SEAL_SIGNING_KEY"] == (
                f"wuding-{name}-seal-key",
                "signing-key",
            )


def test_only_the_gateway_is_reachable_from_outside() -> None:
    policies = of_kind("production", "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    [rule] = policies["registry-from-gateway"]["spec"]["ingress"]
    sources = [peer.get("podSelector", {}).get("matchLabels") for peer in rule["from"]]
    assert {"app.kubernetes.io/name": "gateway"} in sources
    assert of_kind("production", "HorizontalPodAutoscaler")["gateway"]["spec"]["minReplicas"] >= 2
