"""The evidence pack: one ZIP with certificate, time log, picked reflections, results and concepts."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest

from course import certificates
from course.evidence import evidence_pack, time_rows
from course.reflections import ReflectionNotFound
from course.store.db import Store
from tests.cpd.helpers import COURSE, FEELINGS, complete_course, person, reflect


def _verify(code: str) -> str:
    return f"https://course.example.org/verify/{code}"


def test_the_pack_holds_everything_for_an_appraisal(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org", name="Lee Learner")
    done = complete_course(store, learner, now)
    cert = certificates.issue(store, learner, COURSE, now=done)
    kept = reflect(store, learner, done, title="Kept for appraisal")
    left_out = reflect(store, learner, done, title="Too raw to share", learned="Something private")
    pack = evidence_pack(store, learner, COURSE, reflection_ids=[kept], verify_url=_verify, now=done)
    archive = zipfile.ZipFile(io.BytesIO(pack))
    names = set(archive.namelist())
    assert {"README.txt", "certificate.pdf", "time-log.csv", "assessment.csv", "concepts.csv"} <= names
    assert "reflections/reflections.json" in names and "reflections/01-kept-for-appraisal.md" in names
    assert archive.read("certificate.pdf").startswith(b"%PDF-")

    for name in ("time-log.csv", "assessment.csv", "concepts.csv"):  # course.csvout: opens in a spreadsheet
        raw = archive.read(name)
        assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), name
    log = list(csv.DictReader(io.StringIO(archive.read("time-log.csv").decode("utf-8-sig"))))
    titles = {row["title"]: row for row in log}
    assert {"A first module", "A second module", "Summative assessment"} <= set(titles)
    # 12 reading, a minute on each of its two knowledge checks, 1 after "complete" until the next click
    assert titles["A first module"]["minutes"] == "15"
    assert log[-1]["kind"] == "Total"
    # The certificate keeps the time at issue; the log goes on counting (writing reflections since).
    assert int(log[-1]["minutes"]) == sum(int(row["minutes"]) for row in log[:-1]) >= cert.cpd_minutes

    [attempt] = list(csv.DictReader(io.StringIO(archive.read("assessment.csv").decode("utf-8-sig"))))
    assert attempt["status"] == "submitted" and attempt["passed"] == "yes" and attempt["percent"] == "100"
    concepts_csv = archive.read("concepts.csv").decode("utf-8-sig")
    concepts = {row["concept"]: row for row in csv.DictReader(io.StringIO(concepts_csv))}
    assert set(concepts) == set(COURSE.glossary)

    [picked] = json.loads(archive.read("reflections/reflections.json"))
    assert picked["id"] == kept and picked["about"]["title"] == COURSE.vignettes["case"].title
    markdown = archive.read("reflections/01-kept-for-appraisal.md").decode()
    assert "# Kept for appraisal" in markdown and FEELINGS in markdown
    assert all("Something private" not in archive.read(n).decode("utf-8", "replace") for n in names)
    assert left_out != kept


def test_without_a_certificate_the_pack_says_how_to_get_one(store: Store, now: datetime) -> None:
    learner = person(store, now, "lee@example.org")
    pack = zipfile.ZipFile(
        io.BytesIO(evidence_pack(store, learner, COURSE, reflection_ids=[], verify_url=_verify, now=now))
    )
    assert "certificate.pdf" not in pack.namelist()
    assert "no certificate yet" in pack.read("README.txt").decode()
    assert time_rows(store, learner, COURSE) == []


def test_someone_elses_reflection_cannot_be_put_in_a_pack(store: Store, now: datetime) -> None:
    alice, bob = person(store, now, "alice@example.org"), person(store, now, "bob@example.org")
    theirs = reflect(store, alice, now)
    with pytest.raises(ReflectionNotFound):
        evidence_pack(store, bob, COURSE, reflection_ids=[theirs], verify_url=_verify, now=now)
