"""Seal signatures (shared/sealing.py): what they cover, and that production needs a key."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from shared.eventstore import EventCatalog
from shared.runtime import ServiceRuntime
from shared.sealing import (
    _signed_part,
    new_signing_key,
    public_key_text,
    signature_ok,
    signing_key,
    verifying_key,
)
from shared.settings import KernelSettings


def signed(payload: dict[str, Any], key_text: str) -> dict[str, Any]:
    signature = signing_key(key_text).sign(_signed_part(payload))
    return {**payload, "signature": base64.b64encode(signature).decode()}


def test_a_seal_verifies_with_its_public_key_only_and_unaltered() -> None:
    key_text = new_signing_key()
    public = verifying_key(public_key_text(signing_key(key_text)))
    seal = signed({"seal": 1, "digest": "ab", "through": "5:9", "streams": {"a": [1, "cd"]}},
                  key_text)  # fmt: skip
    assert signature_ok(seal, public)
    assert not signature_ok({**seal, "digest": "ac"}, public)
    assert not signature_ok({**seal, "streams": {}}, public)
    other = verifying_key(public_key_text(signing_key(new_signing_key())))
    assert not signature_ok(seal, other)
    assert not signature_ok({k: v for k, v in seal.items() if k != "signature"}, public)


def test_a_production_relay_refuses_to_start_without_a_seal_key() -> None:
    """A CLI command (no relay) needs none: it seals nothing."""
    settings = KernelSettings(env="production", database_url="postgresql://x@h/db")
    with pytest.raises(ValueError, match="WUDING_SEAL_SIGNING_KEY"):
        ServiceRuntime(settings, None, EventCatalog("/x"), [])  # type: ignore[arg-type]
    no_relay = settings.model_copy(update={"relay_enabled": False})
    ServiceRuntime(no_relay, None, EventCatalog("/x"), [])  # type: ignore[arg-type]
