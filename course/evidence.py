"""The CPD evidence pack: one ZIP a learner takes to their appraisal.

It holds the certificate (if issued), the time log, the reflections the learner picked (Markdown to
read, JSON to import elsewhere), the assessment results and the concepts mastered. Only the
learner can build their own pack; reflections are included only when the learner picks them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from course import casenotes, certificates, formatting, mastery, timelog
from course.accounts import User
from course.assessment import AttemptStatus, history
from course.casenotes import CaseRun
from course.clock import require_aware
from course.content import Course
from course.csvout import Cell, csv_text
from course.permissions import Action, require
from course.reflections import KIND_STRUCTURED, Reflection, ReflectionNotFound, my_reflections
from course.store.db import Store


@dataclass(frozen=True)
class TimeRow:
    kind: str  # module, vignette, assessment, review
    object_id: str
    title: str
    seconds: int

    @property
    def hours(self) -> float:
        return timelog.cpd_hours(self.seconds)


_KIND_ORDER = {"module": 0, "vignette": 1, "assessment": 2, "review": 3}
_KIND_LABEL = {"module": "Module", "vignette": "Case", "assessment": "Assessment", "review": "Review"}


def activity_title(course: Course, kind: str, object_id: str) -> str:
    """What the learner calls it: the module's or case's title, "Summative assessment", ..."""
    if kind == "module" and object_id in course.modules:
        return course.modules[object_id].meta.title
    if kind == "vignette" and object_id in course.vignettes:
        return course.vignettes[object_id].title
    if kind == "assessment":
        return "Summative assessment"
    if kind == "review":
        return "Flashcard review"
    return f"{kind} {object_id} (no longer in the course)"


def kind_label(kind: str) -> str:
    return _KIND_LABEL.get(kind, kind.capitalize())


def time_rows(store: Store, user: User, course: Course) -> list[TimeRow]:
    """The learner's time per module, case, assessment and review, in course order."""
    require(user, Action.VIEW_OWN_PROGRESS)
    rolled = timelog.by_activity(course, timelog.time_log(store, user, user.id))
    module_order = {m.id: m.meta.order for m in course.modules.values()}
    rows = [TimeRow(kind, oid, activity_title(course, kind, oid), seconds) for (kind, oid), seconds in rolled.items()]
    return sorted(rows, key=lambda r: (_KIND_ORDER.get(r.kind, 9), module_order.get(r.object_id, 0), r.title))


@dataclass(frozen=True)
class ShownTime:
    """Whole minutes and CPD hours per row, and totals, as shown: the rows add up to the totals.

    Totals are rounded down (whole minutes; CPD hours to the quarter hour, never claiming time not
    spent); the rows share them by the largest-remainder method (``formatting.apportion``).
    """

    minutes: list[int]
    hours: list[float]
    total_minutes: int
    total_hours: float


def shown_time(rows: Sequence[TimeRow]) -> ShownTime:
    seconds = [r.seconds for r in rows]
    total = sum(seconds)
    total_quarters = int(timelog.cpd_hours(total) * 4)
    return ShownTime(
        minutes=formatting.apportion(seconds, total // 60) if total else [0 for _ in rows],
        hours=[q / 4 for q in formatting.apportion(seconds, total_quarters)] if total else [0.0 for _ in rows],
        total_minutes=total // 60,
        total_hours=total_quarters / 4,
    )


def time_log_csv(rows: list[TimeRow]) -> str:
    """The time log as CSV through the one writer (course.csvout: byte-order mark, formulas neutralised);
    rows share the totals shown by the largest-remainder rule (see :func:`shown_time`)."""
    shown = shown_time(rows)
    lines: list[list[Cell]] = [
        [kind_label(row.kind), row.object_id, row.title, minutes, f"{hours:g}"]
        for row, minutes, hours in zip(rows, shown.minutes, shown.hours, strict=True)
    ]
    lines.append(["Total", "", "", shown.total_minutes, f"{shown.total_hours:g}"])
    return csv_text(["kind", "id", "title", "minutes", "cpd_hours"], lines)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "reflection"


def reflection_title(reflection: Reflection, course: Course) -> str:
    """A structured reflection's own title; a case reflection is named after its case."""
    if reflection.title:
        return reflection.title
    if reflection.kind != KIND_STRUCTURED:
        return f"Reflection written in {activity_title(course, reflection.object_type, reflection.object_id)}"
    return "Reflection"


def reflection_markdown(reflection: Reflection, course: Course, tz: ZoneInfo = formatting.UTC_ZONE) -> str:
    """A reflection as a plain Markdown document (the learner's text kept exactly as written; dates in ``tz``)."""
    about = activity_title(course, reflection.object_type, reflection.object_id)
    lines = [
        f"# {reflection_title(reflection, course)}",
        "",
        f"- On: {kind_label(reflection.object_type)}: {about}",
        f"- Written: {formatting.format_datetime(reflection.created_at, tz)}",
    ]
    if reflection.updated_at is not None:
        lines.append(f"- Last edited: {formatting.format_datetime(reflection.updated_at, tz)}")
    for entry in reflection.entries:
        lines += ["", f"## {entry.get('prompt', '')}", "", entry.get("answer", "") or "_(left blank)_"]
    return "\n".join(lines) + "\n"


def _reflection_json(reflection: Reflection, course: Course, tz: ZoneInfo) -> dict[str, object]:
    return {
        "id": reflection.id,
        "title": reflection.title,
        "kind": reflection.kind,
        "about": {
            "type": reflection.object_type,
            "id": reflection.object_id,
            "title": activity_title(course, reflection.object_type, reflection.object_id),
        },
        "written_at": formatting.local(reflection.created_at, tz).isoformat(),
        "edited_at": formatting.local(reflection.updated_at, tz).isoformat() if reflection.updated_at else None,
        "entries": reflection.entries,
    }


def _assessment_csv(store: Store, user: User, tz: ZoneInfo) -> str:
    """Every attempt; times in the learner's zone (ISO 8601 with offset), percent rounded down."""
    lines: list[list[Cell]] = []
    for attempt in sorted(history(store, user), key=lambda a: (a.started_at, a.id)):
        submitted = attempt.status is AttemptStatus.SUBMITTED and attempt.correct is not None
        percent = (
            formatting.floor_percent(attempt.correct, attempt.total)
            if submitted and attempt.correct is not None
            else ""
        )
        lines.append(
            [
                attempt.id,
                formatting.local(attempt.started_at, tz).isoformat(),
                formatting.local(attempt.submitted_at, tz).isoformat() if attempt.submitted_at else "",
                attempt.status.value,
                attempt.correct if submitted else "",
                attempt.total,
                percent,
                ("yes" if attempt.passed else "no") if submitted else "",
            ]
        )
    return csv_text(["attempt", "started", "submitted", "status", "correct", "total", "percent", "passed"], lines)


def _concepts_csv(store: Store, user: User, course: Course) -> str:
    lines: list[list[Cell]] = []
    for concept in mastery.concept_mastery(store, user, user.id, course):
        term = course.glossary.get(concept.concept_id)
        lines.append(
            [
                concept.concept_id,
                term.term if term is not None else concept.concept_id,
                f"{formatting.floor_to(concept.score, 0.01):.2f}",
                concept.evidence,
                "yes" if concept.mastered else "no",
            ]
        )
    return csv_text(["concept", "term", "score", "evidence", "mastered"], lines)


def picked_reflections(store: Store, user: User, reflection_ids: Collection[int]) -> list[Reflection]:
    """The learner's own reflections (structured or written in a case) with these ids; any other id is refused."""
    mine = {r.id: r for r in my_reflections(store, user)}
    if any(rid not in mine for rid in reflection_ids):
        raise ReflectionNotFound()
    return [mine[rid] for rid in sorted(set(reflection_ids))]


def picked_case_runs(store: Store, user: User, course: Course, run_ids: Collection[int]) -> list[CaseRun]:
    """The learner's own case runs with these ids (oldest first); any other id is refused."""
    if not run_ids:
        return []
    mine = {r.run_id: r for r in casenotes.case_runs(store, user, course)}
    if any(rid not in mine for rid in run_ids):
        raise ReflectionNotFound()
    return sorted((mine[rid] for rid in set(run_ids)), key=lambda r: r.started_at)


def _case_run_json(run: CaseRun, tz: ZoneInfo) -> dict[str, object]:
    return {
        "case": {"id": run.vignette_id, "title": run.title},
        "started_at": formatting.local(run.started_at, tz).isoformat(),
        "ended_at": formatting.local(run.ended_at, tz).isoformat() if run.ended_at else None,
        "outcome": run.outcome,
        "decisions": [
            {
                "node": d.node_id,
                "situation": d.situation,
                "choice": d.choice_id,
                "label": d.choice_label,
                "why": d.reason,
                "at": formatting.local(d.at, tz).isoformat(),
                "taken_back": d.taken_back,
            }
            for d in run.decisions
        ],
        "reflections": [
            {
                "id": r.id,
                "node": r.node_id,
                "written_at": formatting.local(r.created_at, tz).isoformat(),
                "entries": r.entries,
            }
            for r in run.reflections
        ],
    }


def _readme(user: User, now: datetime, has_certificate: bool, reflections: int, cases: int = 0) -> str:
    tz = formatting.zone_or_utc(user.time_zone)
    lines = [
        "CPD evidence pack: Relational Prescribing",
        f"Prepared for {user.display_name} on {formatting.format_datetime(now, tz)}.",
        "",
        "certificate.pdf   the course certificate, with a code anyone can verify"
        if has_certificate
        else "(no certificate yet: it is issued once every module is complete and the assessment is passed)",
        "time-log.csv      active learning time per module, case, assessment and review (CPD hours)",
        "assessment.csv    every attempt at the summative assessment",
        "concepts.csv      how well each concept is mastered, from knowledge checks, the assessment,",
        "                  case choices and flashcards",
        f"reflections/      the {reflections} reflection(s) you chose to include, as Markdown and as JSON",
        f"cases/            the {cases} case run(s) you chose: each decision with your Why? note, and the",
        "                  reflections you wrote in the case, as Markdown and as JSON",
        "",
        f"Time is counted as the gaps between your actions, capped at {timelog.IDLE_CAP_SECONDS // 60} minutes",
        "each, so time away from the screen is not claimed.",
    ]
    return "\n".join(lines) + "\n"


def evidence_pack(
    store: Store,
    user: User,
    course: Course,
    *,
    reflection_ids: Collection[int],
    verify_url: Callable[[str], str],
    now: datetime,
    case_run_ids: Collection[int] = (),
) -> bytes:
    """The learner's evidence pack as ZIP bytes. ``verify_url(code)`` is the public address of a code.

    Only what the learner picked goes in: ``reflection_ids`` (their own reflections of either kind)
    and ``case_run_ids`` (their own case runs, with every "Why?" note and case reflection).
    """
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    reflections = picked_reflections(store, user, reflection_ids)
    runs = picked_case_runs(store, user, course, case_run_ids)
    certificate = certificates.certificate_of(store, user, user.id)
    tz = formatting.zone_or_utc(user.time_zone)
    files: dict[str, str | bytes] = {
        "README.txt": _readme(user, now, certificate is not None, len(reflections), len(runs)),
        "time-log.csv": time_log_csv(time_rows(store, user, course)),
        "assessment.csv": _assessment_csv(store, user, tz),
        "concepts.csv": _concepts_csv(store, user, course),
    }
    if certificate is not None:
        files["certificate.pdf"] = certificates.certificate_pdf(certificate, verify_url(certificate.code), tz)
    if reflections:
        files["reflections/reflections.json"] = json.dumps(
            [_reflection_json(r, course, tz) for r in reflections], indent=2, ensure_ascii=False
        )
        for number, reflection in enumerate(reflections, start=1):
            name = f"reflections/{number:02d}-{_slug(reflection_title(reflection, course))}.md"
            files[name] = reflection_markdown(reflection, course, tz)
    if runs:
        files["cases/cases.json"] = json.dumps([_case_run_json(r, tz) for r in runs], indent=2, ensure_ascii=False)
        for number, run in enumerate(runs, start=1):
            files[f"cases/{number:02d}-{_slug(run.title)}.md"] = casenotes.run_markdown(run, tz)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            entry = zipfile.ZipInfo(name, date_time=formatting.local(now, tz).timetuple()[:6])  # ZIP times are local
            archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


__all__ = [
    "TimeRow",
    "activity_title",
    "evidence_pack",
    "kind_label",
    "picked_case_runs",
    "picked_reflections",
    "reflection_markdown",
    "reflection_title",
    "time_log_csv",
    "time_rows",
]
