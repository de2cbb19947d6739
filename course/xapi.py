"""Every learning event as an xAPI 1.0.3 statement, and a durable outbox to a learning record store.

Statements are derived from the event log, never stored: the same event always gives the same
statement, with an id that is a UUID computed from the event id, so sending one twice (after a lost
response, or from two senders) is harmless. Learners' own words (a vignette choice's "reason",
reflections) are never put into statements: only what they did, not what they wrote.

Sending: :func:`enqueue_new` puts every event not yet queued into ``xapi_outbox``; :func:`send_pending`
sends due rows in batches. A transport failure leaves rows pending with an exponential back-off
(``next_attempt_at``), so nothing is lost while the LRS is down; a statement the LRS rejects as
invalid is marked ``failed`` with the reason. Run it from cron with ``python -m course xapi send``.
"""

from __future__ import annotations

import base64
import json
import os
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import exists, func, insert, select, update

from course.accounts import User
from course.clock import require_aware
from course.cohorts import require_may_view
from course.permissions import Action, require
from course.store.db import Store
from course.store.events import EVENT_COLUMNS, Event, event_of
from course.store.models import EventRow, UserRow, XapiOutboxRow

XAPI_VERSION = "1.0.3"
DEFAULT_BASE = "https://relational-prescribing.example.org"
# Verbs of our own (no ADL/registry verb fits): one fixed namespace, independent of the deployment,
# so the same verb has the same IRI in every LRS.
COURSE_VERBS = "https://w3id.org/xapi/relational-prescribing/verbs/"
ADL = "http://adlnet.gov/expapi/verbs/"

VERBS: dict[str, tuple[str, str]] = {
    "module.viewed": ("http://id.tincanapi.com/verb/viewed", "viewed"),
    "module.completed": (ADL + "completed", "completed"),
    "module.reopened": (COURSE_VERBS + "reopened", "reopened"),
    "check.answered": (ADL + "answered", "answered"),
    "vignette.started": (ADL + "attempted", "attempted"),
    "vignette.step": (ADL + "interacted", "interacted"),
    "vignette.undone": (COURSE_VERBS + "undid", "undid"),
    "vignette.ended": (ADL + "completed", "completed"),
    "assessment.started": (ADL + "attempted", "attempted"),
    "assessment.answered": (ADL + "answered", "answered"),
    "assessment.passed": (ADL + "passed", "passed"),
    "assessment.failed": (ADL + "failed", "failed"),
    "assessment.abandoned": ("https://w3id.org/xapi/adl/verbs/abandoned", "abandoned"),
    "card.reviewed": (COURSE_VERBS + "reviewed", "reviewed"),
    "reflection.written": (COURSE_VERBS + "reflected", "reflected on"),
}

ACTIVITY_TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "vignette": "http://adlnet.gov/expapi/activities/simulation",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "quiz_item": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "glossary": "http://id.tincanapi.com/activitytype/vocabulary-word",
    "vignette_node": "http://adlnet.gov/expapi/activities/interaction",
}

BATCH_SIZE = 50
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
PENDING, SENT, FAILED = "pending", "sent", "failed"


# --- configuration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XapiConfig:
    """Where statements go. ``base`` is the deployment's public address: activity and actor IRIs use it."""

    base: str = DEFAULT_BASE
    endpoint: str = ""
    key: str = ""
    secret: str = ""

    @property
    def sending_enabled(self) -> bool:
        return bool(self.endpoint)

    @property
    def activity_base(self) -> str:
        return self.base.rstrip("/") + "/xapi/activities"

    @property
    def home_page(self) -> str:
        return self.base.rstrip("/") + "/"


def load_config(env: Mapping[str, str] = os.environ, secrets_file: Path | None = None) -> XapiConfig:
    """``[xapi]`` in .streamlit/secrets.toml (endpoint, key, secret, base), overridden by XAPI_* variables."""
    settings: dict[str, Any] = {}
    path = secrets_file if secrets_file is not None else Path(".streamlit") / "secrets.toml"
    if path.is_file():
        with path.open("rb") as handle:
            settings = dict(tomllib.load(handle).get("xapi", {}))
    for name in ("base", "endpoint", "key", "secret"):
        override = env.get(f"XAPI_{name.upper()}", "").strip()
        if override:
            settings[name] = override
    base = str(settings.get("base") or env.get("COURSE_PUBLIC_URL", "") or DEFAULT_BASE)
    endpoint = str(settings.get("endpoint", ""))
    if endpoint and not endpoint.endswith("/"):
        endpoint += "/"
    return XapiConfig(
        base=base, endpoint=endpoint, key=str(settings.get("key", "")), secret=str(settings.get("secret", ""))
    )


# --- statements -----------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_id(config: XapiConfig, event_id: int) -> str:
    """A UUID that depends only on the deployment and the event, so re-sending is idempotent."""
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, config.home_page)
    return str(uuid.uuid5(namespace, f"event:{event_id}"))


def activity_id(config: XapiConfig, object_type: str, *parts: str) -> str:
    path = "/".join(quote(part, safe="") for part in (object_type, *parts))
    return f"{config.activity_base}/{path}"


def _activity(config: XapiConfig, object_type: str, *parts: str, name: str | None = None) -> dict[str, Any]:
    kind = "vignette_node" if object_type == "vignette" and len(parts) > 1 else object_type
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id(config, object_type, *parts)}
    definition: dict[str, Any] = {}
    if kind in ACTIVITY_TYPES:
        definition["type"] = ACTIVITY_TYPES[kind]
    if kind == "quiz_item":
        definition["interactionType"] = "choice"
    if name:
        definition["name"] = {"en-GB": name}
    if definition:
        activity["definition"] = definition
    return activity


def _verb_key(event: Event) -> str:
    if event.verb == "assessment.submitted":
        return "assessment.passed" if event.payload.get("passed") else "assessment.failed"
    return event.verb


def _verb(event: Event) -> dict[str, Any]:
    iri, display = VERBS.get(_verb_key(event), (COURSE_VERBS + quote(event.verb, safe=""), event.verb))
    return {"id": iri, "display": {"en-GB": display}}


def _result(event: Event) -> dict[str, Any] | None:
    payload = event.payload
    if event.verb == "assessment.submitted":
        correct, total = int(payload["correct"]), int(payload["total"])
        return {
            "score": {"scaled": round(correct / total, 4) if total else 0.0, "raw": correct, "min": 0, "max": total},
            "success": bool(payload["passed"]),
            "completion": True,
        }
    if event.verb in ("assessment.answered", "check.answered"):
        return {"success": bool(payload["correct"]), "response": str(payload["chosen"])}
    if event.verb == "vignette.step":
        return {"response": str(payload.get("action", ""))}
    if event.verb in ("module.completed", "vignette.ended"):
        return {"completion": True}
    if event.verb == "card.reviewed":
        return {"response": str(payload.get("rating", ""))}
    return None


def _object_and_parents(config: XapiConfig, event: Event) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    payload = event.payload
    if event.verb == "assessment.answered":
        return _activity(config, "quiz_item", str(payload["item"])), [_activity(config, "assessment", event.object_id)]
    if event.verb == "check.answered" and payload.get("module"):
        return _activity(config, event.object_type, event.object_id), [
            _activity(config, "module", str(payload["module"]))
        ]
    if event.verb in ("vignette.step", "vignette.undone") and payload.get("node"):
        node = _activity(config, "vignette", event.object_id, str(payload["node"]))
        return node, [_activity(config, "vignette", event.object_id)]
    return _activity(config, event.object_type, event.object_id), []


def _registration(config: XapiConfig, event: Event) -> str | None:
    """Assessment events of one attempt share a registration, so an LRS can group the sitting."""
    attempt = event.payload.get("attempt")
    if event.object_type == "assessment" and attempt is not None:
        return str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, config.home_page), f"attempt:{attempt}"))
    return None


def to_statement(config: XapiConfig, event: Event) -> dict[str, Any]:
    """The xAPI 1.0.3 statement for one event."""
    activity, parents = _object_and_parents(config, event)
    context: dict[str, Any] = {
        "platform": "Relational Prescribing",
        "language": "en-GB",
        "extensions": {f"{config.base.rstrip('/')}/xapi/extensions/content-version": event.content_version},
    }
    if parents:
        context["contextActivities"] = {"parent": parents}
    registration = _registration(config, event)
    if registration:
        context["registration"] = registration
    statement: dict[str, Any] = {
        "id": statement_id(config, event.id),
        "actor": {"objectType": "Agent", "account": {"homePage": config.home_page, "name": str(event.user_id)}},
        "verb": _verb(event),
        "object": activity,
        "context": context,
        "timestamp": _iso(event.occurred_at),
        "version": XAPI_VERSION,
    }
    result = _result(event)
    if result is not None:
        statement["result"] = result
    return statement


def statements_for(store: Store, viewer: User, learner_id: int, config: XapiConfig) -> list[dict[str, Any]]:
    """One learner's statements, oldest first (themselves, or someone allowed to see dashboards)."""
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        rows = conn.execute(
            select(*EVENT_COLUMNS).where(EventRow.user_id == learner_id).order_by(EventRow.occurred_at, EventRow.id)
        ).all()
    return [to_statement(config, event_of(r)) for r in rows]


def all_statements(store: Store, admin: User, config: XapiConfig) -> list[dict[str, Any]]:
    """Every event of every learner, for an administrator's bulk export."""
    require(admin, Action.MANAGE_USERS)
    with store.read() as conn:
        rows = conn.execute(select(*EVENT_COLUMNS).order_by(EventRow.id)).all()
    return [to_statement(config, event_of(r)) for r in rows]


# --- the outbox -------------------------------------------------------------------------------------------


class TransportError(Exception):
    """The LRS could not be reached or had a temporary problem: try again later."""


class StatementsRejected(Exception):
    """The LRS refused the statements as invalid: sending them again will not help."""


class Transport(Protocol):
    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        """Store these statements, or raise TransportError / StatementsRejected."""


class HttpTransport:
    """POSTs batches to ``<endpoint>statements`` with Basic authentication (the usual LRS setup)."""

    def __init__(self, config: XapiConfig, *, timeout: float = 15.0) -> None:
        if not config.sending_enabled:
            raise ValueError("no LRS endpoint configured (xapi.endpoint or XAPI_ENDPOINT)")
        self._url = config.endpoint + "statements"
        credentials = base64.b64encode(f"{config.key}:{config.secret}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/json",
            "X-Experience-API-Version": XAPI_VERSION,
        }
        self._timeout = timeout

    def send(self, statements: Sequence[Mapping[str, Any]]) -> None:
        body = json.dumps(list(statements)).encode("utf-8")
        request = urllib.request.Request(self._url, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code}: {error.read()[:300].decode('utf-8', 'replace')}"
            # 408 and 429 are "later, please"; other 4xx mean these statements will never be accepted.
            if 400 <= error.code < 500 and error.code not in (401, 403, 408, 429):
                raise StatementsRejected(detail) from error
            raise TransportError(detail) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TransportError(str(error)) from error


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed try: 30 s, 1 min, 2 min, ... capped at 6 hours."""
    wait: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(wait, LONGEST_RETRY)


def enqueue_new(store: Store, *, now: datetime) -> int:
    """Queue every event that is not queued yet (closed accounts' events are not sent). Returns how many."""
    require_aware(now)
    queued = exists().where(XapiOutboxRow.event_id == EventRow.id)
    source = (
        select(EventRow.id, EventRow.occurred_at)
        .join(UserRow, UserRow.id == EventRow.user_id)
        .where(~queued, UserRow.deleted_at.is_(None))
    )
    with store.write() as conn:
        rows = conn.execute(source.order_by(EventRow.id)).all()
        if rows:
            conn.execute(
                insert(XapiOutboxRow),
                [{"event_id": r.id, "status": PENDING, "attempts": 0, "next_attempt_at": now} for r in rows],
            )
    return len(rows)


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int  # rejected by the LRS: will not be retried
    deferred: int  # could not be sent now: retried after the back-off
    last_error: str | None = None


def _due(store: Store, now: datetime, limit: int) -> list[tuple[int, Event]]:
    with store.read() as conn:
        rows = conn.execute(
            select(XapiOutboxRow.id.label("outbox_id"), *EVENT_COLUMNS)
            .join(EventRow, EventRow.id == XapiOutboxRow.event_id)
            .where(XapiOutboxRow.status == PENDING, XapiOutboxRow.next_attempt_at <= now)
            .order_by(XapiOutboxRow.id)
            .limit(limit)
        ).all()
    return [(r.outbox_id, event_of(r)) for r in rows]


def _mark_sent(store: Store, outbox_ids: list[int], now: datetime) -> None:
    with store.write() as conn:
        conn.execute(
            update(XapiOutboxRow)
            .where(XapiOutboxRow.id.in_(outbox_ids))
            .values(status=SENT, sent_at=now, attempts=XapiOutboxRow.attempts + 1, last_error=None)
        )


def _mark_problem(store: Store, outbox_ids: list[int], now: datetime, error: str, *, give_up: bool) -> None:
    with store.write() as conn:
        rows = conn.execute(
            select(XapiOutboxRow.id, XapiOutboxRow.attempts).where(XapiOutboxRow.id.in_(outbox_ids))
        ).all()
        for row in rows:
            attempts = row.attempts + 1
            conn.execute(
                update(XapiOutboxRow)
                .where(XapiOutboxRow.id == row.id)
                .values(
                    status=FAILED if give_up else PENDING,
                    attempts=attempts,
                    next_attempt_at=now + backoff(attempts),
                    last_error=error[:500],
                )
            )


def send_pending(
    store: Store,
    transport: Transport,
    now: datetime,
    *,
    config: XapiConfig | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = 100,
) -> SendReport:
    """Send due outbox rows in batches until none is due, the LRS fails, or ``max_batches`` ran.

    Stops at the first transport failure (the LRS is down: no point hammering it). A rejected
    batch is retried one statement at a time so one bad statement cannot hold back the others.
    """
    require_aware(now)
    config = config or load_config()
    sent = failed = deferred = 0
    last_error: str | None = None
    for _ in range(max_batches):
        batch = _due(store, now, batch_size)
        if not batch:
            break
        ids = [outbox_id for outbox_id, _ in batch]
        statements = [to_statement(config, event) for _, event in batch]
        try:
            transport.send(statements)
        except TransportError as error:
            last_error = str(error)
            _mark_problem(store, ids, now, last_error, give_up=False)
            deferred += len(ids)
            break
        except StatementsRejected as error:
            last_error = str(error)
            if len(batch) == 1:
                _mark_problem(store, ids, now, last_error, give_up=True)
                failed += 1
                continue
            single = send_pending_singly(store, transport, now, batch, config)
            sent, failed, deferred = sent + single.sent, failed + single.failed, deferred + single.deferred
            if single.deferred:
                break
            continue
        _mark_sent(store, ids, now)
        sent += len(ids)
    return SendReport(sent, failed, deferred, last_error)


def send_pending_singly(
    store: Store, transport: Transport, now: datetime, batch: list[tuple[int, Event]], config: XapiConfig
) -> SendReport:
    """Send a rejected batch statement by statement, to find the one(s) the LRS refuses."""
    sent = failed = deferred = 0
    for position, (outbox_id, event) in enumerate(batch):
        try:
            transport.send([to_statement(config, event)])
        except TransportError as error:
            rest = [i for i, _ in batch[position:]]
            _mark_problem(store, rest, now, str(error), give_up=False)
            return SendReport(sent, failed, deferred + len(rest), str(error))
        except StatementsRejected as error:
            _mark_problem(store, [outbox_id], now, str(error), give_up=True)
            failed += 1
            continue
        _mark_sent(store, [outbox_id], now)
        sent += 1
    return SendReport(sent, failed, deferred)


def retry_failed(store: Store, *, now: datetime) -> int:
    """Put rejected statements back in the queue (after fixing the LRS or the mapping)."""
    require_aware(now)
    with store.write() as conn:
        return conn.execute(
            update(XapiOutboxRow).where(XapiOutboxRow.status == FAILED).values(status=PENDING, next_attempt_at=now)
        ).rowcount


def outbox_counts(store: Store) -> dict[str, int]:
    """How many statements are pending, sent and failed (for the CLI's summary)."""
    with store.read() as conn:
        rows = conn.execute(select(XapiOutboxRow.status, func.count()).group_by(XapiOutboxRow.status)).all()
    counts = {PENDING: 0, SENT: 0, FAILED: 0}
    counts.update({str(status): int(count) for status, count in rows})
    return counts


__all__ = [
    "VERBS",
    "XAPI_VERSION",
    "HttpTransport",
    "SendReport",
    "StatementsRejected",
    "Transport",
    "TransportError",
    "XapiConfig",
    "activity_id",
    "all_statements",
    "backoff",
    "enqueue_new",
    "load_config",
    "outbox_counts",
    "retry_failed",
    "send_pending",
    "statement_id",
    "statements_for",
    "to_statement",
]
