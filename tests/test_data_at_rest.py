"""Data at rest (issue 20, attack 8): the SQLite registry and its WAL/SHM files are private to the
user (0600) in a directory created private (0700); so is the codec key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlmodel import Session

from models.registry import DEFAULT_DATABASE_URL, RegistrationCounter, make_engine
from runtime.codec import new_key_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_registry_is_private_with_its_wal_and_shm(tmp_path: Path) -> None:
    os.umask(0o022)  # the usual umask: files 0644 unless the code says otherwise
    db = tmp_path / "private" / "registry.db"
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:  # a write: SQLite creates the WAL and the shared memory
        session.add(RegistrationCounter(prefix="APL", year=2026, last=1))
        session.commit()
        files = [db, db.with_name("registry.db-wal"), db.with_name("registry.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    assert oct(mode(db.parent)) == "0o700"
    engine.dispose()


def test_an_existing_registry_made_readable_by_others_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    make_engine(f"sqlite:///{db}").dispose()
    db.chmod(0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert oct(mode(db)) == "0o600"


def test_the_default_registry_moves_into_its_private_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    old = tmp_path / "registry.db"
    engine = make_engine(f"sqlite:///{old}")  # a registry where earlier releases kept it
    with Session(engine) as session:
        session.add(RegistrationCounter(prefix="APL", year=2026, last=41))
        session.commit()
    engine.dispose()
    engine = make_engine(DEFAULT_DATABASE_URL)
    with Session(engine) as session:
        assert session.get(RegistrationCounter, ("APL", 2026)).last == 41  # type: ignore[union-attr]
    engine.dispose()
    assert not old.exists()
    assert oct(mode(tmp_path / ".data")) == "0o700" and oct(mode(tmp_path / ".data" / "registry.db")) == "0o600"


def test_a_new_codec_key_is_private(tmp_path: Path) -> None:
    os.umask(0o022)
    key = tmp_path / "keys" / "codec.json"
    new_key_file(key)
    assert (oct(mode(key)), oct(mode(key.parent))) == ("0o600", "0o700")
