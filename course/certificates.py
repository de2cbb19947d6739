"""CPD certificates: issued once the completion rule is met, verifiable by a public code.

The completion rule (issue 14: a certificate needs evidence of engagement, not only "mark as
complete"):

* every module marked complete, and every one of its knowledge checks answered at least once;
* every case (vignette) played to one of its endings;
* the summative assessment passed;
* measured active time (``course.timelog``) of at least :func:`active_time_floor`: 40% of the study
  time the content itself estimates (each module's and each case's ``minutes``), and never less
  than 15 minutes, so a certificate cannot state 0 CPD hours. Why 40%: the eight modules hold about
  13,800 words, which take about 58 minutes to read at the mean silent reading rate for non-fiction
  of 238 words a minute (Brysbaert M 2019, "How many words do we read per minute?", Journal of
  Memory and Language 109:104047); with the three cases, 30 knowledge checks and a 20-question
  assessment a quick but genuine learner records well over 90 minutes, while clicking "mark as
  complete" through the course records a few. For this course the floor is 94 minutes.

Below the floor (or with anything else missing) the learner is told exactly what is left. A
certificate records the name, course title and the *measured* CPD time as they were when it was
issued; issuing again returns the same certificate.

The verification code is 120 random bits (24 characters of Crockford base 32, ``course.codes``), so
codes cannot be guessed or enumerated, and it is accepted however it is typed back from paper (case,
dashes, spaces, O for 0, I or L for 1); codes issued before in RFC 4648 base 32 keep verifying. The
public check (:func:`verify`) reveals only name, course and date, and nothing for
revoked certificates or closed accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy import Connection, insert, select, update

from course import codes, formatting, pdffonts, timelog
from course.accounts import User
from course.assessment import has_passed
from course.clock import require_aware
from course.cohorts import require_may_view
from course.completion import completions
from course.content import Course
from course.permissions import Action, require
from course.progress import answered_checks
from course.store.db import Store
from course.store.events import completed_modules
from course.store.models import CertificateRow, UserRow

COURSE_TITLE = "Relational Prescribing: the prescriber-patient relationship in practice"
ACTIVE_TIME_SHARE = 0.4  # of the content's estimated study time; see the module docstring
MIN_ACTIVE_SECONDS = 15 * 60  # one CPD quarter hour: a certificate never states 0 hours
_CODE_LENGTH = 24  # 5 bits each: 120 bits, within the 32-character column

# The learner's name is printed as large as fits on one line, from NAME_POINTS down to
# NAME_MIN_POINTS; below that it wraps (a display name has at most 80 characters, which fit in two
# lines at the minimum size), so the certificate stays on one page. Fonts: course.pdffonts.
NAME_POINTS = 26
NAME_MIN_POINTS = 12


class NameNotPrintable(ValueError):
    """No font on the font path can print some characters of the name; ``characters`` lists them."""

    def __init__(self, characters: Sequence[str]) -> None:
        super().__init__(
            f"Your name as it would be printed contains characters that no font here can print: "
            f"{pdffonts.describe(characters)}. The certificate is not issued, so it never leaves them out. "
            "Ask your course administrator to add a font for them (COURSE_PDF_FONTS) or to correct your name."
        )
        self.characters = list(characters)


def name_problem(name: str) -> NameNotPrintable | None:
    """Why this name cannot be printed on a certificate with the fonts found (None: it can)."""
    missing = pdffonts.unprintable(name)
    return NameNotPrintable(missing) if missing else None


class NotYetComplete(ValueError):
    """The completion rule is not met; ``missing`` says what is left, for the learner."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("Not complete yet: " + "; ".join(missing))
        self.missing = missing


@dataclass(frozen=True)
class Completion:
    modules_done: int
    modules_total: int
    modules_left: list[str]  # titles, in course order
    assessment_passed: bool
    checks_left: list[tuple[str, int, int]] = field(default_factory=list)  # (module title, answered, total)
    cases_left: list[str] = field(default_factory=list)  # case titles not yet played to an ending
    active_seconds: int = 0
    required_seconds: int = MIN_ACTIVE_SECONDS

    @property
    def time_met(self) -> bool:
        return self.active_seconds >= self.required_seconds

    @property
    def complete(self) -> bool:
        return (
            self.modules_total > 0
            and not self.modules_left
            and not self.checks_left
            and not self.cases_left
            and self.assessment_passed
            and self.time_met
        )

    def missing(self) -> list[str]:
        """What is left, one sentence each, in the order a learner would do it."""
        left = [f"complete the module “{title}”" for title in self.modules_left]
        left += [
            f"answer the knowledge checks in “{title}” ({answered} of {total} answered)"
            for title, answered, total in self.checks_left
        ]
        left += [f"play the case “{title}” through to one of its endings" for title in self.cases_left]
        if not self.assessment_passed:
            left.append("pass the assessment")
        if not self.time_met:
            short = -(-(self.required_seconds - self.active_seconds) // 60)
            left.append(
                f"spend about {short} more minutes of active learning: {self.active_seconds // 60} of the "
                f"{self.required_seconds // 60} minutes this certificate needs are recorded so far"
            )
        return left


def active_time_floor(course: Course) -> int:
    """Seconds of measured active time a certificate needs: see the module docstring."""
    estimated = sum(m.meta.minutes for m in course.modules.values()) + sum(v.minutes for v in course.vignettes.values())
    return max(MIN_ACTIVE_SECONDS, int(estimated * 60 * ACTIVE_TIME_SHARE))


@dataclass(frozen=True)
class Certificate:
    id: int
    user_id: int
    code: str
    learner_name: str
    course_title: str
    cpd_minutes: int
    issued_at: datetime
    revoked_at: datetime | None

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    @property
    def cpd_hours(self) -> float:
        return timelog.cpd_hours(self.cpd_minutes * 60)


@dataclass(frozen=True)
class PublicCertificate:
    """All that the public verification page may show."""

    learner_name: str
    course_title: str
    issued_at: datetime
    time_zone: str | None = None  # the learner's zone: the date of issue is the day printed on the certificate


def format_code(code: str) -> str:
    """Groups of four, easier to read out and to type: ABCD-EFGH-..."""
    return codes.group_code(code)


def _new_code() -> str:
    return codes.new_code(_CODE_LENGTH)


def _certificate(row: Any) -> Certificate:
    return Certificate(
        row.id,
        row.user_id,
        row.code,
        row.learner_name,
        row.course_title,
        row.cpd_minutes,
        row.issued_at,
        row.revoked_at,
    )


def completion(store: Store, user: User, course: Course) -> Completion:
    """How far the signed-in learner is from a certificate (every part of the completion rule)."""
    require(user, Action.VIEW_OWN_PROGRESS)
    done = completed_modules(store, user.id)
    ordered = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
    left = [m.meta.title for m in ordered if m.id not in done]
    answered = answered_checks(store, user, user.id)
    checks_left = []
    for module in ordered:
        ids = {item.id for item in course.checks_for(module.id)}
        if ids - answered:
            checks_left.append((module.meta.title, len(ids & answered), len(ids)))
    with store.read() as conn:
        ended = completions(conn, [user.id], [("vignette", v) for v in course.vignettes])
    cases_left = [v.title for v in course.vignettes.values() if (user.id, "vignette", v.id) not in ended]
    active = timelog.total_seconds(timelog.time_log(store, user, user.id))
    return Completion(
        len(ordered) - len(left),
        len(ordered),
        left,
        has_passed(store, user),
        checks_left,
        cases_left,
        active,
        active_time_floor(course),
    )


def _live(conn: Connection, user_id: int) -> Any:
    return conn.execute(
        select(CertificateRow)
        .where(CertificateRow.user_id == user_id, CertificateRow.revoked_at.is_(None))
        .order_by(CertificateRow.issued_at, CertificateRow.id)
    ).first()


def certificate_of(store: Store, viewer: User, learner_id: int) -> Certificate | None:
    """The learner's current (not revoked) certificate, if one was issued."""
    require_may_view(store, viewer, learner_id)
    with store.read() as conn:
        row = _live(conn, learner_id)
    return None if row is None else _certificate(row)


def issue(store: Store, user: User, course: Course, *, now: datetime) -> Certificate:
    """Issue the learner's certificate, or return the one already issued.

    Raises NotYetComplete, or NameNotPrintable when no font can print part of the name (checked
    before anything is stored, so a certificate never silently drops letters).
    """
    require(user, Action.VIEW_OWN_PROGRESS)
    require_aware(now)
    status = completion(store, user, course)
    if not status.complete:
        raise NotYetComplete(status.missing())
    problem = name_problem(user.display_name)
    if problem is not None and _live_certificate(store, user.id) is None:
        raise problem
    minutes = status.active_seconds // 60  # the measured time, as printed on the certificate
    with store.write(actor=user.id) as conn:
        # Lock the learner's row so two tabs issuing at once cannot create two certificates
        # (SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the row lock).
        conn.execute(select(UserRow.id).where(UserRow.id == user.id).with_for_update()).first()
        existing = _live(conn, user.id)
        if existing is not None:
            return _certificate(existing)
        new_id = conn.execute(
            insert(CertificateRow)
            .values(
                user_id=user.id,
                code=_new_code(),
                learner_name=user.display_name,
                course_title=COURSE_TITLE,
                cpd_minutes=minutes,
                issued_at=now,
            )
            .returning(CertificateRow.id)
        ).scalar_one()
        return _certificate(conn.execute(select(CertificateRow).where(CertificateRow.id == new_id)).one())


def revoke(store: Store, admin: User, certificate_id: int, *, now: datetime) -> bool:
    """Withdraw a certificate (issued in error, say). Its code stops verifying at once."""
    require(admin, Action.MANAGE_USERS)
    require_aware(now)
    with store.write() as conn:
        return bool(revoke_all_for(conn, None, now, certificate_id=certificate_id))


def revoke_all_for(conn: Connection, user_id: int | None, now: datetime, *, certificate_id: int | None = None) -> int:
    """Revoke by learner or by id inside the caller's transaction (account deletion uses this)."""
    query = update(CertificateRow).where(CertificateRow.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(CertificateRow.user_id == user_id)
    if certificate_id is not None:
        query = query.where(CertificateRow.id == certificate_id)
    return conn.execute(query.values(revoked_at=now)).rowcount


def verify(store: Store, code: str) -> PublicCertificate | None:
    """Public by design (no sign-in): is this a genuine, current certificate? Name, course, date only."""
    normalised = codes.code_key(code)
    if not normalised or len(normalised) > 32:
        return None
    with store.read() as conn:
        row = conn.execute(
            select(
                CertificateRow.learner_name, CertificateRow.course_title, CertificateRow.issued_at, UserRow.time_zone
            )
            .join(UserRow, UserRow.id == CertificateRow.user_id)
            .where(
                CertificateRow.code_key == normalised,
                CertificateRow.revoked_at.is_(None),
                UserRow.deleted_at.is_(None),
            )
        ).first()
    return None if row is None else PublicCertificate(row.learner_name, row.course_title, row.issued_at, row.time_zone)


# --- the PDF ----------------------------------------------------------------------------------------


def _live_certificate(store: Store, user_id: int) -> Any:
    with store.read() as conn:
        return _live(conn, user_id)


def new_pdf(texts: Sequence[str] = ()) -> tuple[FPDF, str, bool]:
    """A blank A4 document with the fonts ``texts`` need (course.pdffonts), the main font family,
    and whether it prints Unicode (False only when no font file is found: then a core font)."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    family = pdffonts.prepare(pdf, texts)
    if family is not None:
        return pdf, family, True
    return pdf, "Helvetica", False


def pdf_text(text: str, unicode_ok: bool) -> str:
    """Text the chosen font can print: NFC with Unicode fonts, Latin-1 (with '?') without one."""
    if unicode_ok:
        return pdffonts.printable_form(text)
    replaced = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u201c", '"').replace("\u201d", '"')
    replaced = replaced.replace("\u2018", "'").replace("\u2019", "'")
    return replaced.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(certificate: Certificate, verify_url: str, tz: ZoneInfo = formatting.UTC_ZONE) -> bytes:
    """A one-page A4 certificate carrying the verification code and where to check it (date of issue in ``tz``)."""
    pdf, family, unicode_ok = new_pdf([certificate.learner_name, certificate.course_title])
    pdf.set_title(pdf_text(f"CPD certificate: {certificate.course_title}", unicode_ok))
    pdf.set_author("Relational Prescribing course")
    pdf.add_page(orientation="landscape")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int, gap: float = 4, *, shrink_to: int | None = None) -> None:
        printed = pdf_text(text, unicode_ok)
        while shrink_to is not None and size > shrink_to and _lines(pdf, family, size, width, printed) > 1:
            size -= 1
        pdf.set_font(family, size=size)
        pdf.multi_cell(width, size * 0.55, printed, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.ln(18)
    line("Certificate of completion", 30, 10)
    line("This is to certify that", 14)
    line(certificate.learner_name, NAME_POINTS, 6, shrink_to=NAME_MIN_POINTS)
    line("has completed the online course", 14)
    line(certificate.course_title, 18, 8, shrink_to=12)
    line(
        f"CPD time recorded: {certificate.cpd_hours:g} hours ({certificate.cpd_minutes} minutes of active learning)", 13
    )
    line(f"Date of issue: {formatting.format_long_date(certificate.issued_at, tz)}", 13, 14)
    line(f"Verification code: {certificate.display_code}", 12)
    line(f"Check it at {verify_url}", 11)
    if pdf.pages_count != 1:
        raise RuntimeError(f"The certificate ran to {pdf.pages_count} pages; the layout must keep it to one.")
    return bytes(pdf.output())


def _lines(pdf: FPDF, family: str, size: int, width: float, text: str) -> int:
    """How many lines ``text`` takes at ``size`` points (shaped, with fallback fonts), without drawing."""
    pdf.set_font(family, size=size)
    return len(pdf.multi_cell(width, size * 0.55, text, align="C", dry_run=True, output="LINES"))


__all__ = [
    "COURSE_TITLE",
    "Certificate",
    "Completion",
    "NameNotPrintable",
    "NotYetComplete",
    "PublicCertificate",
    "certificate_of",
    "certificate_pdf",
    "completion",
    "format_code",
    "issue",
    "name_problem",
    "pdf_text",
    "revoke",
    "revoke_all_for",
    "verify",
]
