"""Issue 8 §3, §4 at the unit level: client scope is explicit, credentials are read one way,
`as_of` and `If-Match` have one parser each that refuses what would have been a 500."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from services.cli import main
from services.gateway.auth import (
    AmbiguousCredentials,
    Client,
    ClientDirectory,
    InvalidClientsFile,
    credentials,
    hash_key,
)
from shared.errors import PreconditionFailed, ValidationFailed
from shared.http_inputs import Moment, parse_if_match

KEY_HASH = hash_key("wd_test")


@pytest.mark.parametrize("prefix", ["", "3", "330", "33021", "3302110", "3302110040012",
                                    "３３０２", "٣٣", "33 2"])  # fmt: skip
def test_a_district_client_needs_a_whole_division_prefix(prefix: str) -> None:
    """Guards: an empty prefix matched every division (startswith("")); full-width or
    Arabic-Indic digits, or a prefix that is no division level, are refused too."""
    with pytest.raises(ValidationError, match="2, 4, 6, 9 or 12 ASCII digits"):
        Client(client_id="d", kind="district", division_prefix=prefix, key_sha256=KEY_HASH)


def test_valid_scopes_and_a_city_client_without_prefix() -> None:
    for prefix in ("33", "3302", "330211", "330211004", "330211004001"):
        Client(client_id="d", kind="district", division_prefix=prefix, key_sha256=KEY_HASH)
    Client(client_id="c", kind="city", key_sha256=KEY_HASH)
    with pytest.raises(ValidationError, match="no division_prefix"):
        Client(client_id="c", kind="city", division_prefix="33", key_sha256=KEY_HASH)


def test_an_invalid_clients_file_names_the_entry_and_the_reason(tmp_path: Path) -> None:
    """Guards: the clients file is validated when the gateway starts (create_app reads it)."""
    path = tmp_path / "clients.json"
    good = {"client_id": "zhenhai", "kind": "district", "division_prefix": "330211",
            "key_sha256": KEY_HASH}  # fmt: skip
    cases = [
        ([good, {**good, "client_id": "lax", "division_prefix": "",
                 "key_sha256": hash_key("other")}],
         "entry 1 ('lax'): a district client needs a division_prefix"),
        ([good, {**good, "client_id": "twin"}], "another client's key"),
        ([good, {**good, "key_sha256": hash_key("other")}], "client_id is used twice"),
        ({"client_id": "x"}, "a JSON list"),
    ]  # fmt: skip
    for content, message in cases:
        path.write_text(json.dumps(content), "utf-8")
        with pytest.raises(InvalidClientsFile, match=re.escape(message)) as raised:
            ClientDirectory.from_file(path)
        assert str(path) in str(raised.value)
    path.write_text("{not json", "utf-8")
    with pytest.raises(InvalidClientsFile, match="cannot be read"):
        ClientDirectory.from_file(path)


def test_keys_new_refuses_a_district_without_a_valid_prefix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards: `wuding keys new --kind district` without --prefix made a key for everywhere."""
    for extra in ([], ["--prefix", "3302111"]):
        with pytest.raises(SystemExit) as done:
            main(["keys", "new", "--client-id", "d", "--kind", "district", *extra])
        assert done.value.code == 2
        out, err = capsys.readouterr()
        assert "API key" not in out and "2, 4, 6, 9 or 12 ASCII digits" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as done:
        main(["keys", "new", "--client-id", "d", "--kind", "district", "--prefix", "330211"])
    assert done.value.code == 0 and '"division_prefix": "330211"' in capsys.readouterr().out


def test_credentials_are_read_one_way_and_duplicates_are_refused() -> None:
    """Guards: the hot path took the last Authorization header and the app the first."""
    assert credentials([(b"authorization", b"Bearer wd_a")]) == "wd_a"
    assert credentials([(b"x-api-key", b"wd_b")]) == "wd_b"
    assert credentials([(b"accept", b"*/*")]) is None
    for repeated in (
        [(b"authorization", b"Bearer wd_a"), (b"authorization", b"Bearer wd_b")],
        [(b"authorization", b"Bearer wd_a"), (b"x-api-key", b"wd_b")],
        [(b"x-api-key", b"wd_a"), (b"x-api-key", b"wd_a")],
    ):
        with pytest.raises(AmbiguousCredentials) as refused:
            credentials(repeated)
        assert refused.value.status == 400


def test_if_match_is_one_strong_version_etag() -> None:
    """Guards: 100,000 digits reached int() (ValueError past 4,300 digits: a 500), 20 digits
    overflowed bigint, and a weak ETag satisfied If-Match (RFC 9110 wants strong comparison)."""
    assert parse_if_match(None) is None
    assert parse_if_match('"3"') == 3 and parse_if_match(' "12" ') == 12
    for bad in ("1" * 100_000, '"' + "9" * 19 + '"', "3", '"３"', '"3", "4"', "*", '""'):
        with pytest.raises(ValidationFailed) as refused:
            parse_if_match(bad)
        assert refused.value.errors[0].field == "If-Match"
    with pytest.raises(PreconditionFailed) as weak:
        parse_if_match('W/"3"')
    assert weak.value.status == 412


def test_a_moment_must_be_representable_in_utc() -> None:
    """Guards: as_of at the ends of the datetime range parsed, then overflowed (a 500)."""
    moments = TypeAdapter(Moment)
    for text in ("9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+14:00"):
        with pytest.raises(ValidationError, match="between years 1 and 9999"):
            moments.validate_python(text)
    assert moments.validate_python("2025-06-30T00:00:00+08:00") == datetime(
        2025, 6, 29, 16, tzinfo=UTC
    )
    assert moments.validate_python("9999-12-31T23:59:59+00:00").year == 9999
