"""Which services exist, how each is served, where its migrations are, and how they connect.

`wuding run`, the CLI and the test fixtures all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.db import ensure_database, migrate, migration_files

_SERVICES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app_factory: str  # "module:function" taking the service's settings
    settings_class: str  # "module:Class"
    default_port: int
    event_sourced: bool  # has the kernel's events, checkpoints and inbox tables

    @property
    def migrations(self) -> list[Path]:
        return migration_files(
            _SERVICES_DIR / self.name / "migrations", with_kernel=self.event_sourced
        )

    @property
    def database(self) -> str:
        return f"wuding_{self.name}"


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec(
            "registry",
            "services.registry.app:create_app",
            "shared.settings:KernelSettings",
            8101,
            True,
        ),
        ServiceSpec(
            "gateway",
            "services.gateway.app:create_app",
            "services.gateway.settings:GatewaySettings",
            8000,
            False,
        ),
    )
}


def database_url(admin_url: str, database: str) -> str:
    """The server's admin URL with another database name."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{database}"


async def prepare_databases(admin_url: str) -> dict[str, str]:
    """Create each service's database if missing and migrate it; return the URLs."""
    urls: dict[str, str] = {}
    for spec in SERVICES.values():
        await ensure_database(admin_url, spec.database)
        urls[spec.name] = database_url(admin_url, spec.database)
        await migrate(urls[spec.name], spec.migrations)
    return urls
