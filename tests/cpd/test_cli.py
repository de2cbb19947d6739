"""`python -m course xapi ...` and `python -m course privacy ...` against a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from course import accounts, xapi
from course.__main__ import main
from course.clock import utcnow
from course.store.db import Store
from tests.cpd.helpers import do_everything, person


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    for name in ("XAPI_ENDPOINT", "XAPI_KEY", "XAPI_SECRET", "XAPI_BASE"):
        monkeypatch.delenv(name, raising=False)
    return Store.open(url)


class RecordingLrs:
    stored: ClassVar[list[Mapping[str, Any]]] = []

    def __init__(self, config: xapi.XapiConfig) -> None:
        assert config.endpoint == "https://lrs.example/xapi/"

    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        RecordingLrs.stored.extend(statements)


def test_xapi_commands(db: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    learner = person(db, utcnow(), "lee@example.org")
    do_everything(db, learner, utcnow())
    assert main(["xapi", "send"]) == 1
    assert "no LRS configured" in capsys.readouterr().err
    assert main(["xapi", "export", "--email", "lee@example.org"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(s["actor"]["account"]["name"] == str(learner.id) for s in lines)

    monkeypatch.setenv("XAPI_ENDPOINT", "https://lrs.example/xapi")
    monkeypatch.setattr(xapi, "HttpTransport", RecordingLrs)
    assert main(["xapi", "send"]) == 0
    assert f"queued {len(lines)}; sent {len(lines)}" in capsys.readouterr().out
    assert [s["id"] for s in RecordingLrs.stored] == [s["id"] for s in lines]
    assert main(["xapi", "status"]) == 0
    assert json.loads(capsys.readouterr().out) == {"pending": 0, "sent": len(lines), "failed": 0}


def test_privacy_commands(db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    learner = person(db, utcnow(), "lee@example.org")
    assert main(["privacy", "export", "--email", "lee@example.org"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["users"][0]["email"] == "lee@example.org"
    assert main(["privacy", "delete", "--email", "lee@example.org", "--confirm", "other@example.org"]) == 1
    assert "type the email" in capsys.readouterr().err
    assert main(["privacy", "delete", "--email", "lee@example.org", "--confirm", "lee@example.org"]) == 0
    assert accounts.get_user(db, learner.id) is None
    assert main(["privacy", "export", "--email", "lee@example.org"]) == 1
