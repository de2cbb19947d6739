"""The gaps an independent check of the xAPI export found (issue 17), each failing before its fix.

- Two deployments that leave ``base`` unset produced identical statement ids and actors, so an LRS
  shared by both refused the second one's statements (409) and would have merged their learners.
- Activities were bare IRIs: no definition with a name, so an LRS could not show what was done.
- ``xapi send`` exited 0 on a run after the LRS had rejected statements, so cron never noticed again.
- Deleting an account left its statements in the LRS, and ``xapi export`` still printed them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from course import xapi
from course.__main__ import main
from course.clock import utcnow
from course.privacy import delete_account
from course.store.db import Store
from course.store.models import XapiOutboxRow, XapiVoidRow
from tests.cpd.helpers import COURSE, do_everything, person

CONFIG = xapi.XapiConfig(base="https://course.example.org", endpoint="https://lrs.example.org/xapi/")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    for name in ("XAPI_ENDPOINT", "XAPI_KEY", "XAPI_SECRET", "XAPI_BASE", "COURSE_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _export(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str) -> list[dict[str, Any]]:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["xapi", "export"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_two_deployments_without_a_base_never_share_statement_ids_or_actors(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = []
    for name in ("first", "second"):
        url = f"sqlite:///{cli_env / f'{name}.sqlite3'}"
        store = Store.open(url)
        do_everything(store, person(store, utcnow(), "lee@example.org"), utcnow())  # the same history in both
        store.close()
        exports.append(_export(monkeypatch, capsys, url))
    first, second = exports
    assert len(first) == len(second) > 15
    assert not {s["id"] for s in first} & {s["id"] for s in second}
    assert {s["actor"]["account"]["homePage"] for s in first}.isdisjoint(
        {s["actor"]["account"]["homePage"] for s in second}
    )
    # The generated base is kept: the same deployment exports the same ids again (re-sending is idempotent).
    assert [s["id"] for s in _export(monkeypatch, capsys, f"sqlite:///{cli_env / 'first.sqlite3'}")] == [
        s["id"] for s in first
    ]


def test_deployment_base_is_generated_once_and_a_configured_base_wins(store: Store) -> None:
    base = xapi.deployment_base(store)
    assert base.startswith("https://") and base == xapi.deployment_base(store)
    assert xapi.load_config({}, Path("missing.toml"), store=store).base == base
    assert xapi.load_config({"XAPI_BASE": "https://c.example"}, Path("missing.toml"), store=store).base == (
        "https://c.example"
    )


def test_a_new_public_address_keeps_statement_ids_and_actors_of_the_first(store: Store, now: datetime) -> None:
    """A deployment that moves to a new address must not send the LRS new ids for old events (the
    LRS would store them twice) nor new actors (it would count each learner twice)."""
    first = xapi.load_config({"COURSE_PUBLIC_URL": "https://old.example.ac.uk"}, Path("missing.toml"), store=store)
    moved = xapi.load_config({"COURSE_PUBLIC_URL": "https://new.example.ac.uk"}, Path("missing.toml"), store=store)
    assert first.base == moved.base == "https://old.example.ac.uk"
    assert xapi.statement_id(first, 7) == xapi.statement_id(moved, 7)
    assert moved.home_page == first.home_page


def test_every_activity_carries_a_definition_with_a_name(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    do_everything(store, learner, now)
    catalogue = xapi.Catalogue.from_course(COURSE)
    statements = xapi.statements_for(store, learner, learner.id, CONFIG, catalogue)
    activities = [s["object"] for s in statements] + [
        parent for s in statements for parent in s["context"].get("contextActivities", {}).get("parent", [])
    ]
    for activity in activities:
        name = activity["definition"]["name"]["en-GB"]
        assert name and not name.startswith("http"), activity
    module = next(iter(COURSE.modules.values()))
    completed = next(
        s for s in statements if s["verb"]["id"].endswith("/completed") and "/module/" in s["object"]["id"]
    )
    assert completed["object"]["definition"]["name"] == {"en-GB": module.meta.title}
    assert completed["object"]["definition"]["description"] == {"en-GB": module.meta.summary}
    answered = next(s for s in statements if s["object"]["definition"].get("interactionType") == "choice")
    item = COURSE.items()[answered["object"]["id"].rsplit("/", 1)[1]]
    definition = answered["object"]["definition"]
    assert definition["description"] == {"en-GB": item.stem}
    assert [c["id"] for c in definition["choices"]] == [o.key for o in item.options]
    assert definition["correctResponsesPattern"] == [item.answer]
    # Content removed since the event was recorded is still named, by its kind and id.
    assert xapi.Catalogue().describe("module", "retired-module").name == "Module retired-module"


class RejectingLrs:
    rejecting: ClassVar[bool] = True
    stored: ClassVar[list[Mapping[str, Any]]] = []

    def __init__(self, config: xapi.XapiConfig) -> None:
        pass

    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        if RejectingLrs.rejecting:
            raise xapi.StatementsRejected("HTTP 400: invalid statement")
        RejectingLrs.stored.extend(statements)


def test_send_exits_non_zero_while_rejected_statements_wait(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{cli_env / 'cron.sqlite3'}"
    store = Store.open(url)
    do_everything(store, person(store, utcnow(), "lee@example.org"), utcnow())
    store.close()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("XAPI_ENDPOINT", "https://lrs.example/xapi")
    monkeypatch.setattr(xapi, "HttpTransport", RejectingLrs)
    RejectingLrs.rejecting, RejectingLrs.stored = True, []
    assert main(["xapi", "send"]) == 2
    capsys.readouterr()
    # The next cron run has nothing new to send, but the rejected statements still wait: say so.
    assert main(["xapi", "send"]) == 2
    assert "rejected by the LRS" in capsys.readouterr().err
    RejectingLrs.rejecting = False
    assert main(["xapi", "retry-failed"]) == 0
    assert main(["xapi", "send"]) == 0
    assert RejectingLrs.stored


class DownLrs:
    down: ClassVar[bool] = True
    stored: ClassVar[list[Mapping[str, Any]]] = []

    def __init__(self, config: xapi.XapiConfig) -> None:
        pass

    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        if DownLrs.down:
            raise xapi.TransportError("connection refused")
        DownLrs.stored.extend(statements)


def test_send_keeps_exiting_non_zero_while_statements_wait_for_a_retry(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The LRS is down: the first run defers everything. The next cron run, before the retry time,
    tries nothing, yet the statements have still not reached the LRS: it must not exit 0."""
    url = f"sqlite:///{cli_env / 'down.sqlite3'}"
    store = Store.open(url)
    do_everything(store, person(store, utcnow(), "lee@example.org"), utcnow())
    store.close()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("XAPI_ENDPOINT", "https://lrs.example/xapi")
    monkeypatch.setattr(xapi, "HttpTransport", DownLrs)
    DownLrs.down, DownLrs.stored = True, []
    assert main(["xapi", "send"]) == 2
    capsys.readouterr()
    assert main(["xapi", "send"]) == 2  # nothing due yet: still not delivered
    assert "wait to be retried" in capsys.readouterr().err
    DownLrs.down = False
    store = Store.open(url)
    with store.write() as conn:  # the retry time has come
        conn.execute(update(XapiOutboxRow).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
    store.close()
    assert main(["xapi", "send"]) == 0
    assert DownLrs.stored


def test_deleting_an_account_voids_what_the_lrs_holds_and_export_leaves_it_out(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{cli_env / 'voids.sqlite3'}"
    store = Store.open(url)
    leaving, staying = person(store, utcnow(), "leaving@example.org"), person(store, utcnow(), "staying@example.org")
    do_everything(store, leaving, utcnow())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("XAPI_ENDPOINT", "https://lrs.example/xapi")
    monkeypatch.setattr(xapi, "HttpTransport", RejectingLrs)
    RejectingLrs.rejecting, RejectingLrs.stored = False, []
    assert main(["xapi", "send"]) == 0  # the LRS now holds the leaver's statements
    sent_ids = {s["id"] for s in RejectingLrs.stored}
    do_everything(store, staying, utcnow())  # not sent yet: nothing of the leaver is pending
    delete_account(store, leaving, leaving.id, confirm_email="leaving@example.org", now=utcnow())
    RejectingLrs.stored = []
    capsys.readouterr()
    assert main(["xapi", "send"]) == 0
    voids = [s for s in RejectingLrs.stored if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"]
    assert {v["object"]["id"] for v in voids} == sent_ids
    assert all(v["object"]["objectType"] == "StatementRef" for v in voids)
    assert all(v["actor"]["account"]["name"] != str(leaving.id) for v in voids)  # the void names nobody
    assert "voids sent" in capsys.readouterr().out
    # Sending again voids nothing twice.
    RejectingLrs.stored = []
    assert main(["xapi", "send"]) == 0 and RejectingLrs.stored == []
    with store.read() as conn:
        assert set(conn.execute(select(XapiVoidRow.status)).scalars()) == {"sent"}
    store.close()
    capsys.readouterr()

    exported = _export(monkeypatch, capsys, url)
    assert exported and {s["actor"]["account"]["name"] for s in exported} == {str(staying.id)}
