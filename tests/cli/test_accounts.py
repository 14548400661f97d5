"""``ringway accounts``: operator commands on the database."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ringway.cli import main
from ringway.config import Settings
from ringway.services.platform import Platform


def run(database_url: str, tmp_path: Path, *args: str, expect: int = 0) -> str:
    command, *rest = args
    result = CliRunner().invoke(
        main,
        ["accounts", command, "--data-dir", str(tmp_path), "--database-url", database_url, *rest],
    )
    assert result.exit_code == expect, result.output
    return result.output


def test_create_list_show_and_rotate(database_url: str, tmp_path: Path) -> None:
    created = json.loads(run(database_url, tmp_path, "create", "--json"))
    assert set(created) == {"account_id", "api_key", "api_secret", "signature_secret"}
    chosen = json.loads(
        run(
            database_url,
            tmp_path,
            "create",
            "--api-key",
            "feed0001",
            "--api-secret",
            "S" * 16,
            "--json",
        )
    )
    assert chosen["api_key"] == "feed0001"
    listed = json.loads(run(database_url, tmp_path, "list", "--json"))
    assert [a["api_key"] for a in listed] == [created["api_key"], "feed0001"]
    assert "api_secret" not in run(database_url, tmp_path, "list")
    shown = json.loads(run(database_url, tmp_path, "show", "feed0001", "--json"))
    assert shown["signature_secret"] == chosen["signature_secret"]
    assert "api_secret" not in shown
    rotated = json.loads(run(database_url, tmp_path, "rotate-secret", "feed0001", "--json"))
    platform = Platform.open(Settings(data_dir=tmp_path, database_url=database_url))
    try:
        assert platform.accounts.authenticate("feed0001", "S" * 16) is None
        assert platform.accounts.authenticate("feed0001", rotated["api_secret"]) is not None
    finally:
        platform.close()


def test_errors_are_one_line(database_url: str, tmp_path: Path) -> None:
    assert "no account" in run(database_url, tmp_path, "show", "missing0", expect=1)
    run(database_url, tmp_path, "create", "--api-key", "dup00001")
    assert "already exists" in run(
        database_url, tmp_path, "create", "--api-key", "dup00001", expect=1
    )


def test_secrets_are_stored_hashed(database_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from ringway.storage.database import normalize_url

    created = json.loads(run(database_url, tmp_path, "create", "--json"))
    engine = sa.create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM accounts")).mappings().one()
    engine.dispose()
    assert created["api_secret"] not in " ".join(str(v) for v in row.values())


def test_without_a_database_they_say_where_they_looked_and_make_none(tmp_path: Path) -> None:
    folder = tmp_path / "typo"
    for args in (["accounts", "list"], ["accounts", "create"], ["numbers", "seed", "--country",
                 "GB", "--type", "mobile-lvn", "--first", "447700900000"]):  # fmt: skip
        result = CliRunner().invoke(main, [*args, "--data-dir", str(folder)])
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"Error: no ringway database in {folder}: name its folder with --data-dir DIR (or "
            "RINGWAY_DATA_DIR), or the database with --database-url; `ringway serve` creates one\n"
        )
    missing = tmp_path / "gone.db"
    result = CliRunner().invoke(
        main, ["accounts", "list", "--database-url", f"sqlite:///{missing}"]
    )
    assert result.exit_code == 1 and f"no ringway database at {missing}:" in result.output
    assert not folder.exists() and not missing.exists()


def test_top_up_show_and_sms_signing(database_url: str, tmp_path: Path) -> None:
    run(database_url, tmp_path, "create", "--api-key", "cafe0001")
    assert json.loads(run(database_url, tmp_path, "show", "cafe0001", "--json"))["balance"] == (
        "10.00 EUR"
    )
    assert "12.50 EUR" in run(database_url, tmp_path, "top-up", "cafe0001", "2.5")
    shown = json.loads(run(database_url, tmp_path, "show", "cafe0001", "--json"))
    assert shown["balance"] == "12.50 EUR" and shown["sms_signature_method"] == "none"
    run(database_url, tmp_path, "sms-signing", "cafe0001", "sha512")
    assert "sha512" in run(database_url, tmp_path, "show", "cafe0001")
    assert "invalid" in run(database_url, tmp_path, "top-up", "cafe0001", "lots", expect=2).lower()
