"""API keys rotate without a restart (issue 13, 4): the gateway reloads its clients file when
its content changes (services/gateway/clients_watch.py). A key added works within moments, a
file that does not validate changes nothing (every client keeps working), and a key taken out
is refused from then on."""

from __future__ import annotations

import asyncio
import json

from services.gateway.auth import hash_key, new_key
from tests.e2e.conftest import Platform


async def status_with(platform: Platform, key: str) -> int:
    async with platform.http.get(
        f"{platform.gateway}/v1/communities?division_prefix=330211&limit=1",
        headers={"Authorization": f"Bearer {key}"},
    ) as r:
        return r.status


async def until_status(platform: Platform, key: str, status: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (found := await status_with(platform, key)) != status:
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.1)


async def test_a_rotated_key_takes_effect_without_a_restart(platform: Platform) -> None:
    original = platform.clients_file.read_text("utf-8")
    clients = json.loads(original)
    rotated = new_key()
    entry = {"client_id": "zhenhai-rotated", "kind": "district", "division_prefix": "330211",
             "key_sha256": hash_key(rotated)}  # fmt: skip
    try:
        assert await status_with(platform, rotated) == 401
        platform.clients_file.write_text(json.dumps([*clients, entry]), "utf-8")
        await until_status(platform, rotated, 200)

        # A broken rotation (the same key twice) is refused as a whole: nothing changes.
        broken = [*clients, entry, {**entry, "client_id": "another"}]
        platform.clients_file.write_text(json.dumps(broken), "utf-8")
        await asyncio.sleep(1)  # five reload intervals
        assert await status_with(platform, rotated) == 200
        assert await status_with(platform, platform.keys["zhenhai"]) == 200

        platform.clients_file.write_text(original, "utf-8")  # the key taken out again
        await until_status(platform, rotated, 401)
        assert await status_with(platform, platform.keys["zhenhai"]) == 200
    finally:
        platform.clients_file.write_text(original, "utf-8")
