"""xAPI 1.0.3 statements for every event, and an outbox that loses nothing while the LRS is down."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from course import xapi
from course.accounts import Role
from course.permissions import PermissionDenied
from course.privacy import delete_account
from course.store.db import Store
from course.store.models import EventRow, XapiOutboxRow
from course.xapi import StatementsRejected, TransportError, XapiConfig
from tests.cpd.helpers import REASON, do_everything, person

CONFIG = XapiConfig(base="https://course.example.org", endpoint="https://lrs.example.org/xapi/")
IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s]+$")
ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def check_statement(statement: Mapping[str, Any]) -> None:
    """The xAPI 1.0.3 rules for the parts of a statement we produce."""
    assert set(statement) <= {"id", "actor", "verb", "object", "result", "context", "timestamp", "version"}
    assert str(uuid.UUID(statement["id"])) == statement["id"]
    actor = statement["actor"]
    assert actor["objectType"] == "Agent" and set(actor) == {"objectType", "account"}  # exactly one identifier
    assert IRI.match(actor["account"]["homePage"]) and actor["account"]["name"]
    assert IRI.match(statement["verb"]["id"]) and all(statement["verb"]["display"].values())
    activity = statement["object"]
    assert activity["objectType"] == "Activity" and IRI.match(activity["id"])
    if "definition" in activity and "type" in activity["definition"]:
        assert IRI.match(activity["definition"]["type"])
    assert ISO_8601.match(statement["timestamp"])
    datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
    assert statement["version"] == "1.0.3"
    result = statement.get("result")
    if result is not None:
        assert set(result) <= {"score", "success", "completion", "response", "duration", "extensions"}
        for flag in ("success", "completion"):
            assert flag not in result or isinstance(result[flag], bool)
        score = result.get("score")
        if score is not None:
            assert -1 <= score["scaled"] <= 1
            assert score["min"] <= score["raw"] <= score["max"]
    context = statement["context"]
    if "registration" in context:
        uuid.UUID(context["registration"])
    for activities in context.get("contextActivities", {}).values():
        assert all(a["objectType"] == "Activity" and IRI.match(a["id"]) for a in activities)
    assert all(IRI.match(key) for key in context.get("extensions", {}))


def test_every_event_becomes_a_valid_statement(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    do_everything(store, learner, now)
    statements = xapi.statements_for(store, learner, learner.id, CONFIG)
    with store.read() as conn:
        verbs = set(conn.execute(select(EventRow.verb)).scalars())
    assert len(statements) > 15
    # Every verb the course records has its own mapping (none falls back to the generic IRI).
    assert verbs - {"assessment.submitted"} <= set(xapi.VERBS)
    for statement in statements:
        check_statement(statement)
        assert statement["actor"]["account"] == {"homePage": "https://course.example.org/", "name": str(learner.id)}
        assert statement["object"]["id"].startswith("https://course.example.org/xapi/activities/")
    # The learner's own words never leave the course.
    assert REASON not in str(statements) and "helpless" not in str(statements)
    # Same events, same statements (ids included): re-sending is idempotent at the LRS.
    assert xapi.statements_for(store, learner, learner.id, CONFIG) == statements
    assert len({s["id"] for s in statements}) == len(statements)

    [submitted] = [s for s in statements if s["verb"]["id"].endswith("/passed")]
    assert submitted["result"]["score"] == {"scaled": 1.0, "raw": 5, "min": 0, "max": 5}
    assert submitted["result"]["success"] is True
    answered = [s for s in statements if s["verb"]["id"].endswith("/answered")]
    assert answered and all(s["result"]["success"] is True and s["result"]["response"] for s in answered)
    in_attempt = [s for s in statements if "/assessment/" in str(s["context"].get("contextActivities", ""))]
    assert len({s["context"]["registration"] for s in in_attempt}) == 1


def test_only_the_learner_or_an_educator_may_export_their_statements(store: Store, now: datetime) -> None:
    learner, other = person(store, now, "lee@example.org"), person(store, now, "other@example.org")
    with pytest.raises(PermissionDenied):
        xapi.statements_for(store, other, learner.id, CONFIG)
    with pytest.raises(PermissionDenied):
        xapi.all_statements(store, person(store, now, "t@example.org", Role.EDUCATOR), CONFIG)


class FlakyLrs:
    """Fails while `down`; rejects statements whose ids are in `bad`; remembers what it stored."""

    def __init__(self) -> None:
        self.down = True
        self.bad: set[str] = set()
        self.stored: dict[str, Mapping[str, Any]] = {}
        self.calls = 0

    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        self.calls += 1
        if self.down:
            raise TransportError("connection refused")
        if any(s["id"] in self.bad for s in statements):
            raise StatementsRejected("HTTP 400: invalid statement")
        self.stored.update({s["id"]: s for s in statements})


def _outbox(store: Store) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(select(XapiOutboxRow).order_by(XapiOutboxRow.id)).all())


def test_nothing_is_lost_while_the_lrs_is_down(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    do_everything(store, learner, now)
    total = xapi.enqueue_new(store, now=now)
    assert total > 15 and xapi.enqueue_new(store, now=now) == 0  # queued once only
    lrs = FlakyLrs()

    first = xapi.send_pending(store, lrs, now, config=CONFIG, batch_size=10)
    assert (first.sent, first.deferred, lrs.calls) == (0, 10, 1)  # stops at the first failure
    failed_rows = [r for r in _outbox(store) if r.attempts]
    assert all(r.status == "pending" and r.last_error == "connection refused" for r in failed_rows)
    assert all(r.next_attempt_at == now + timedelta(seconds=30) for r in failed_rows)

    # Ten seconds later those ten are not due yet: the rest are tried (and fail).
    second = xapi.send_pending(store, lrs, now + timedelta(seconds=10), config=CONFIG, batch_size=10)
    assert second.deferred == total - 10 and lrs.calls == 2
    # Still down a minute later: the first ten are tried a second time and wait twice as long.
    xapi.send_pending(store, lrs, now + timedelta(minutes=1), config=CONFIG, batch_size=10)
    retried = [r for r in _outbox(store) if r.attempts == 2]
    assert retried and all(r.next_attempt_at == now + timedelta(minutes=1, seconds=60) for r in retried)
    assert xapi.backoff(1) == timedelta(seconds=30) and xapi.backoff(30) == xapi.LONGEST_RETRY

    lrs.down = False
    done = xapi.send_pending(store, lrs, now + timedelta(hours=7), config=CONFIG, batch_size=10)
    assert done.sent == total and done.deferred == 0
    assert {r.status for r in _outbox(store)} == {"sent"}
    assert set(lrs.stored) == {s["id"] for s in xapi.statements_for(store, learner, learner.id, CONFIG)}
    assert xapi.outbox_counts(store) == {"pending": 0, "sent": total, "failed": 0}


def test_one_invalid_statement_does_not_hold_back_the_rest(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    do_everything(store, learner, now)
    total = xapi.enqueue_new(store, now=now)
    lrs = FlakyLrs()
    lrs.down = False
    bad_id = xapi.statements_for(store, learner, learner.id, CONFIG)[3]["id"]
    lrs.bad = {bad_id}
    report = xapi.send_pending(store, lrs, now, config=CONFIG, batch_size=10)
    assert (report.sent, report.failed) == (total - 1, 1)
    [failed] = [r for r in _outbox(store) if r.status == "failed"]
    assert failed.last_error == "HTTP 400: invalid statement"
    lrs.bad = set()
    assert xapi.retry_failed(store, now=now) == 1
    assert xapi.send_pending(store, lrs, now, config=CONFIG).sent == 1


def test_a_closed_account_is_not_queued_and_its_queue_is_dropped(store: Store, now: datetime) -> None:
    leaving, staying = person(store, now, "leaving@example.org"), person(store, now, "staying@example.org")
    do_everything(store, leaving, now)
    xapi.enqueue_new(store, now=now)
    do_everything(store, staying, now)
    delete_account(store, leaving, leaving.id, confirm_email="leaving@example.org", now=now)
    xapi.enqueue_new(store, now=now)
    with store.read() as conn:
        owners = set(
            conn.execute(select(EventRow.user_id).join(XapiOutboxRow, XapiOutboxRow.event_id == EventRow.id)).scalars()
        )
    assert owners == {staying.id}


def test_configuration_comes_from_secrets_and_environment(tmp_path: Any) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[xapi]\nendpoint = "https://lrs.example/xapi"\nkey = "k"\nsecret = "s"\n')
    config = xapi.load_config({"XAPI_SECRET": "from-env", "COURSE_PUBLIC_URL": "https://c.example"}, secrets_file)
    assert config == XapiConfig("https://c.example", "https://lrs.example/xapi/", "k", "from-env")
    assert not xapi.load_config({"XAPI_BASE": "https://c.example"}, tmp_path / "missing.toml").sending_enabled
    with pytest.raises(ValueError, match="no xAPI base configured"):
        xapi.load_config({}, tmp_path / "missing.toml")  # an unset base needs the store it is kept in
    with pytest.raises(ValueError, match="no LRS endpoint"):
        xapi.HttpTransport(XapiConfig())
