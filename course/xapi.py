"""Every learning event as an xAPI 1.0.3 statement, and a durable outbox to a learning record store.

Statements are derived from the event log, never stored: the same event always gives the same
statement, with an id that is a UUID computed from the event id, so sending one twice (after a lost
response, or from two senders) is harmless. Learners' own words (a vignette choice's "reason",
reflections) are never put into statements: only what they did, not what they wrote.

Identity: statement ids and actor accounts are derived from the deployment's base address. A
deployment that sets none gets its own, generated once and kept in the database
(:func:`deployment_base`), so two deployments writing to one LRS never share statement ids (the
LRS would refuse the second with 409 Conflict) or merge their learners.

Activities carry a definition with a name (and a description where the content has one) taken
from the course content (:class:`Catalogue`), so an LRS shows what was done, not bare IRIs.

Sending: :func:`enqueue_new` puts every event not yet queued into ``xapi_outbox``; :func:`send_pending`
sends due rows in batches. A transport failure leaves rows pending with an exponential back-off
(``next_attempt_at``), so nothing is lost while the LRS is down; a statement the LRS rejects as
invalid is marked ``failed`` with the reason. Run it from cron with ``python -m course xapi send``.

Deleting an account (course.privacy) queues a voiding statement (xAPI 1.0.3, Data section 2.4.8:
verb ``http://adlnet.gov/expapi/verbs/voided``, object a StatementRef) for each of its statements
the LRS already holds; :func:`send_voids` sends them with the same retry rules.
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
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from sqlalchemy import Connection, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from course.accounts import User
from course.clock import require_aware
from course.cohorts import require_may_view
from course.permissions import Action, require
from course.store.db import Store
from course.store.events import EVENT_COLUMNS, Event, event_of
from course.store.models import EventRow, SettingRow, UserRow, XapiOutboxRow, XapiVoidRow

if TYPE_CHECKING:
    from course.content import Course

XAPI_VERSION = "1.0.3"
# Only for configurations built by hand (tests). A deployment's configuration takes its base from
# its settings or, when none is set, from deployment_base(store), which is unique to it.
DEFAULT_BASE = "https://relational-prescribing.example.org"
GENERATED_BASE_PREFIX = DEFAULT_BASE + "/deployments/"
BASE_SETTING = "xapi.base"
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
VOIDED = (ADL + "voided", "voided")

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


def deployment_base(store: Store, public_url: str = "") -> str:
    """This deployment's own base address, fixed at first use and kept in ``settings``.

    The first value is ``public_url`` (``COURSE_PUBLIC_URL``) when one is set, otherwise
    ``https://relational-prescribing.example.org/deployments/<random UUID>``: a URL (xAPI wants the
    account ``homePage`` to be one) that no other deployment shares. Once kept it never changes,
    even if the public address later does: statement ids and actor identities derive from it, and a
    new base would make an LRS count every learner twice and leave voids pointing at ids it never
    received. Several processes starting at once agree on one value (insert-if-absent, read back).
    """
    with store.read() as conn:
        found = conn.execute(select(SettingRow.value).where(SettingRow.key == BASE_SETTING)).scalar()
    if found:
        return str(found)
    generated = public_url.strip().rstrip("/") or GENERATED_BASE_PREFIX + uuid.uuid4().hex
    with store.write() as conn:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            dialect_insert(SettingRow)
            .values(key=BASE_SETTING, value=generated, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return str(conn.execute(select(SettingRow.value).where(SettingRow.key == BASE_SETTING)).scalar_one())


def load_config(
    env: Mapping[str, str] = os.environ, secrets_file: Path | None = None, *, store: Store | None = None
) -> XapiConfig:
    """``[xapi]`` in .streamlit/secrets.toml (endpoint, key, secret, base), overridden by XAPI_* variables.

    Without a configured ``base`` the base is ``deployment_base(store, COURSE_PUBLIC_URL)``: the
    public address the deployment had when it first needed a base, kept from then on. ``store`` may
    be left out only when a base or a public address is configured.
    """
    settings: dict[str, Any] = {}
    path = secrets_file if secrets_file is not None else Path(".streamlit") / "secrets.toml"
    if path.is_file():
        with path.open("rb") as handle:
            settings = dict(tomllib.load(handle).get("xapi", {}))
    for name in ("base", "endpoint", "key", "secret"):
        override = env.get(f"XAPI_{name.upper()}", "").strip()
        if override:
            settings[name] = override
    base = str(settings.get("base") or "")
    if not base:
        public_url = env.get("COURSE_PUBLIC_URL", "")
        if store is not None:
            base = deployment_base(store, public_url)
        elif public_url:
            base = public_url
        else:
            raise ValueError("no xAPI base configured and no store to keep a generated one in")
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


@dataclass(frozen=True)
class Described:
    """What an LRS shows for an activity: a name, and a description and choices where there are some."""

    name: str
    description: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (option key, option text) of a question
    correct: str | None = None  # the key of a question's single best answer


_KIND_NAMES = {
    "module": "Module",
    "vignette": "Case",
    "vignette_node": "Case step",
    "assessment": "Assessment",
    "quiz_item": "Question",
    "glossary": "Glossary term",
}


class Catalogue:
    """Names of activities from the course content, keyed by (object type, *id parts).

    Events outlive content edits: an activity that is no longer in the content is still named,
    by its kind and id (e.g. "Module retired-module").
    """

    def __init__(self, entries: Mapping[tuple[str, ...], Described] | None = None) -> None:
        self._entries = dict(entries or {})

    @classmethod
    def from_course(cls, course: Course) -> Catalogue:
        entries: dict[tuple[str, ...], Described] = {
            ("assessment", "summative"): Described(
                "Summative assessment",
                "The course's graded single-best-answer assessment; questions are drawn per attempt.",
            )
        }
        for module in course.modules.values():
            entries[("module", module.id)] = Described(module.meta.title, module.meta.summary)
        for vignette in course.vignettes.values():
            entries[("vignette", vignette.id)] = Described(vignette.title, vignette.summary)
            for node in vignette.nodes:
                step = node.title or node.id.replace("-", " ")
                entries[("vignette", vignette.id, node.id)] = Described(f"{vignette.title}: {step}")
        for item in course.items().values():
            entries[("quiz_item", item.id)] = Described(
                f"Question {item.id}",
                item.stem,
                tuple((option.key, option.text) for option in item.options),
                item.answer,
            )
        for term in course.glossary.values():
            entries[("glossary", term.id)] = Described(term.term, term.short)
        return cls(entries)

    def describe(self, object_type: str, *parts: str) -> Described:
        found = self._entries.get((object_type, *parts))
        if found is not None:
            return found
        kind = "vignette_node" if object_type == "vignette" and len(parts) > 1 else object_type
        label = _KIND_NAMES.get(kind, object_type.replace("_", " ").capitalize())
        return Described(f"{label} {'/'.join(parts)}")


@cache
def default_catalogue() -> Catalogue:
    """The catalogue of the deployment's content (``COURSE_CONTENT_DIR``, as the app reads it), loaded once."""
    from course.content import load_course

    root = os.environ.get("COURSE_CONTENT_DIR") or Path(__file__).resolve().parent.parent
    return Catalogue.from_course(load_course(Path(root)).course)


def _activity(config: XapiConfig, catalogue: Catalogue, object_type: str, *parts: str) -> dict[str, Any]:
    kind = "vignette_node" if object_type == "vignette" and len(parts) > 1 else object_type
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id(config, object_type, *parts)}
    described = catalogue.describe(object_type, *parts)
    definition: dict[str, Any] = {"name": {"en-GB": described.name}}
    if described.description:
        definition["description"] = {"en-GB": described.description}
    if kind in ACTIVITY_TYPES:
        definition["type"] = ACTIVITY_TYPES[kind]
    if kind == "quiz_item":
        definition["interactionType"] = "choice"
        if described.choices:
            definition["choices"] = [{"id": key, "description": {"en-GB": text}} for key, text in described.choices]
        if described.correct:
            definition["correctResponsesPattern"] = [described.correct]
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
            "score": {
                "scaled": correct * 10000 // total / 10000 if total else 0.0,
                "raw": correct,
                "min": 0,
                "max": total,
            },
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


def _object_and_parents(
    config: XapiConfig, catalogue: Catalogue, event: Event
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    payload = event.payload

    def activity(object_type: str, *parts: str) -> dict[str, Any]:
        return _activity(config, catalogue, object_type, *parts)

    if event.verb == "assessment.answered":
        return activity("quiz_item", str(payload["item"])), [activity("assessment", event.object_id)]
    if event.verb == "check.answered" and payload.get("module"):
        return activity(event.object_type, event.object_id), [activity("module", str(payload["module"]))]
    if event.verb in ("vignette.step", "vignette.undone") and payload.get("node"):
        return activity("vignette", event.object_id, str(payload["node"])), [activity("vignette", event.object_id)]
    return activity(event.object_type, event.object_id), []


def _registration(config: XapiConfig, event: Event) -> str | None:
    """Assessment events of one attempt share a registration, so an LRS can group the sitting."""
    attempt = event.payload.get("attempt")
    if event.object_type == "assessment" and attempt is not None:
        return str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, config.home_page), f"attempt:{attempt}"))
    return None


def _actor(config: XapiConfig, user_id: int | str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": config.home_page, "name": str(user_id)}}


def to_statement(config: XapiConfig, event: Event, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The xAPI 1.0.3 statement for one event (activity names from ``catalogue``, default: this course)."""
    activity, parents = _object_and_parents(config, catalogue or default_catalogue(), event)
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
        "actor": _actor(config, event.user_id),
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


def void_statement(config: XapiConfig, event_id: int) -> dict[str, Any]:
    """The statement voiding the one made from this event (its own id is derived, so re-sending is harmless).

    The actor is the deployment itself, not the learner: a void should not name the person again.
    """
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, config.home_page)
    return {
        "id": str(uuid.uuid5(namespace, f"void:{event_id}")),
        "actor": _actor(config, "relational-prescribing"),
        "verb": {"id": VOIDED[0], "display": {"en-GB": VOIDED[1]}},
        "object": {"objectType": "StatementRef", "id": statement_id(config, event_id)},
        "version": XAPI_VERSION,
    }


def statements_for(
    store: Store, viewer: User, learner_id: int, config: XapiConfig, catalogue: Catalogue | None = None
) -> list[dict[str, Any]]:
    """One learner's statements, oldest first (themselves, or someone allowed to see dashboards)."""
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        rows = conn.execute(
            select(*EVENT_COLUMNS)
            .join(UserRow, UserRow.id == EventRow.user_id)
            .where(EventRow.user_id == learner_id, UserRow.deleted_at.is_(None))
            .order_by(EventRow.occurred_at, EventRow.id)
        ).all()
    return [to_statement(config, event_of(r), catalogue) for r in rows]


def all_statements(
    store: Store, admin: User, config: XapiConfig, catalogue: Catalogue | None = None
) -> list[dict[str, Any]]:
    """Every event of every account that still exists, for an administrator's bulk export.

    Deleted accounts are left out: their statements are being voided at the LRS (course.privacy).
    """
    require(admin, Action.MANAGE_USERS)
    with store.read() as conn:
        rows = conn.execute(
            select(*EVENT_COLUMNS)
            .join(UserRow, UserRow.id == EventRow.user_id)
            .where(UserRow.deleted_at.is_(None))
            .order_by(EventRow.id)
        ).all()
    return [to_statement(config, event_of(r), catalogue) for r in rows]


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
    catalogue: Catalogue | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = 100,
) -> SendReport:
    """Send due outbox rows in batches until none is due, the LRS fails, or ``max_batches`` ran.

    Stops at the first transport failure (the LRS is down: no point hammering it). A rejected
    batch is retried one statement at a time so one bad statement cannot hold back the others.
    """
    require_aware(now)
    config = config or load_config(store=store)
    catalogue = catalogue or default_catalogue()
    sent = failed = deferred = 0
    last_error: str | None = None
    for _ in range(max_batches):
        batch = _due(store, now, batch_size)
        if not batch:
            break
        ids = [outbox_id for outbox_id, _ in batch]
        statements = [to_statement(config, event, catalogue) for _, event in batch]
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
            single = send_pending_singly(store, transport, now, batch, config, catalogue)
            sent, failed, deferred = sent + single.sent, failed + single.failed, deferred + single.deferred
            if single.deferred:
                break
            continue
        _mark_sent(store, ids, now)
        sent += len(ids)
    return SendReport(sent, failed, deferred, last_error)


def send_pending_singly(
    store: Store,
    transport: Transport,
    now: datetime,
    batch: list[tuple[int, Event]],
    config: XapiConfig,
    catalogue: Catalogue | None = None,
) -> SendReport:
    """Send a rejected batch statement by statement, to find the one(s) the LRS refuses."""
    sent = failed = deferred = 0
    for position, (outbox_id, event) in enumerate(batch):
        try:
            transport.send([to_statement(config, event, catalogue)])
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
    """Put rejected statements and voids back in the queue (after fixing the LRS or the mapping)."""
    require_aware(now)
    with store.write() as conn:
        statements = conn.execute(
            update(XapiOutboxRow).where(XapiOutboxRow.status == FAILED).values(status=PENDING, next_attempt_at=now)
        ).rowcount
        voids = conn.execute(
            update(XapiVoidRow).where(XapiVoidRow.status == FAILED).values(status=PENDING, next_attempt_at=now)
        ).rowcount
    return int(statements) + int(voids)


def awaiting_retry(store: Store) -> int:
    """Statements and voids still pending after at least one failed try (the LRS was down or
    answered with an error worth retrying); they wait for their next attempt time."""
    total = 0
    with store.read() as conn:
        for table in (XapiOutboxRow, XapiVoidRow):
            total += int(
                conn.execute(select(func.count()).where(table.status == PENDING, table.attempts > 0)).scalar_one()
            )
    return total


def outbox_counts(store: Store) -> dict[str, int]:
    """How many statements (voids included) are pending, sent and failed (for the CLI's summary)."""
    counts = {PENDING: 0, SENT: 0, FAILED: 0}
    with store.read() as conn:
        for table in (XapiOutboxRow, XapiVoidRow):
            rows = conn.execute(select(table.status, func.count()).group_by(table.status)).all()
            for status, count in rows:
                counts[str(status)] = counts.get(str(status), 0) + int(count)
    return counts


# --- voiding a deleted account's statements ------------------------------------------------------------


def queue_voids(conn: Connection, user_id: int, now: datetime) -> int:
    """In the deleting transaction: queue a void for each of the person's statements the LRS holds.

    Only statements marked sent are voided; pending ones are simply dropped with the outbox (they
    never left). Returns how many voids were queued.
    """
    require_aware(now)
    sent = (
        conn.execute(
            select(XapiOutboxRow.event_id)
            .join(EventRow, EventRow.id == XapiOutboxRow.event_id)
            .where(EventRow.user_id == user_id, XapiOutboxRow.status == SENT)
            .where(~exists().where(XapiVoidRow.event_id == XapiOutboxRow.event_id))
            .order_by(XapiOutboxRow.event_id)
        )
        .scalars()
        .all()
    )
    if sent:
        conn.execute(
            insert(XapiVoidRow),
            [
                {"event_id": event_id, "status": PENDING, "attempts": 0, "next_attempt_at": now, "queued_at": now}
                for event_id in sent
            ],
        )
    return len(sent)


def send_voids(
    store: Store, transport: Transport, now: datetime, *, config: XapiConfig, batch_size: int = BATCH_SIZE
) -> SendReport:
    """Send due voiding statements, in batches; the same retry and rejection rules as statements."""
    require_aware(now)
    sent = failed = deferred = 0
    last_error: str | None = None
    while True:
        with store.read() as conn:
            rows = conn.execute(
                select(XapiVoidRow.id, XapiVoidRow.event_id, XapiVoidRow.attempts)
                .where(XapiVoidRow.status == PENDING, XapiVoidRow.next_attempt_at <= now)
                .order_by(XapiVoidRow.id)
                .limit(batch_size)
            ).all()
        if not rows:
            break
        try:
            transport.send([void_statement(config, r.event_id) for r in rows])
            outcome, error = SENT, None
        except TransportError as exc:
            outcome, error = PENDING, str(exc)
        except StatementsRejected as exc:
            outcome, error = FAILED, str(exc)
        with store.write() as conn:
            for row in rows:
                attempts = row.attempts + 1
                values: dict[str, Any] = {"status": outcome, "attempts": attempts, "last_error": error}
                if outcome == SENT:
                    values["sent_at"] = now
                else:
                    values["next_attempt_at"] = now + backoff(attempts)
                    values["last_error"] = (error or "")[:500]
                conn.execute(update(XapiVoidRow).where(XapiVoidRow.id == row.id).values(**values))
        if outcome == SENT:
            sent += len(rows)
        elif outcome == FAILED:
            failed += len(rows)
            last_error = error
        else:
            deferred += len(rows)
            last_error = error
            break
    return SendReport(sent, failed, deferred, last_error)


__all__ = [
    "VERBS",
    "XAPI_VERSION",
    "Catalogue",
    "Described",
    "HttpTransport",
    "SendReport",
    "StatementsRejected",
    "Transport",
    "TransportError",
    "XapiConfig",
    "activity_id",
    "all_statements",
    "awaiting_retry",
    "backoff",
    "default_catalogue",
    "deployment_base",
    "enqueue_new",
    "load_config",
    "outbox_counts",
    "queue_voids",
    "retry_failed",
    "send_pending",
    "send_voids",
    "statement_id",
    "statements_for",
    "to_statement",
    "void_statement",
]
