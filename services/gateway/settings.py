"""Gateway settings: the kernel's, plus where the services are and who its clients are."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from shared.settings import KernelSettings

if TYPE_CHECKING:
    from services.topology import ServiceSpec


class GatewaySettings(KernelSettings):
    service: str = "gateway"
    http_port: int = 8000
    registry_url: str = "http://127.0.0.1:8101"  # a service's URL: `<name>_url` (below)
    # Any service's URL by name (WUDING_SERVICE_URLS='{"staffing": "http://staffing:8102"}'):
    # a new service needs no setting of its own here.
    service_urls: dict[str, str] = Field(default_factory=dict)
    # A JSON file listing the clients and the SHA-256 of their API keys (never the keys).
    clients_file: Path | None = None
    # How often the clients file is checked for a change (a rotated key takes effect then).
    clients_reload_seconds: float = Field(default=5.0, gt=0)
    idempotency_ttl_hours: int = 24
    idempotency_sweep_seconds: float = 600.0  # how often expired keys are deleted
    forward_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _clients_configured_in_production(self) -> GatewaySettings:
        if self.env == "production" and self.clients_file is None:
            raise ValueError("WUDING_CLIENTS_FILE must be set in production")
        return self

    def service_url(self, spec: ServiceSpec) -> str:
        """Where a service behind the gateway listens: its entry in `service_urls`, its
        `<name>_url` setting if it has one (WUDING_REGISTRY_URL), else its default port on
        loopback."""
        url = self.service_urls.get(spec.name) or getattr(self, f"{spec.name}_url", None)
        return str(url) if url else f"http://127.0.0.1:{spec.default_port}"
