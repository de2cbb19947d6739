"""A database that is not there at start: a clear message and a 503, not a crash loop; and the app
recovers by itself once the database appears."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from bench.ws_client import AppServer, StreamlitSession, free_port

from .conftest import REPO, postgres_base_url

MESSAGE = "The course database is not available"


def closed_port_url() -> str:
    # A port nothing listens on: the connection is refused at once, as when PostgreSQL is down.
    return f"postgresql://course:s3cret-pw@127.0.0.1:{free_port()}/course"


def test_apptest_shows_a_clear_message_on_every_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", closed_port_url())
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=30)
    for _ in range(2):  # a reload meets the same message, not a traceback
        at.run()
        assert not at.exception
        assert MESSAGE in at.error[0].value
        assert "s3cret-pw" not in at.error[0].value  # the password is masked
        assert "Check DATABASE_URL" in at.info[0].value


def page_text(url: str) -> list[str]:
    async def read() -> list[str]:
        session, page = await StreamlitSession.open(url)  # raises on an exception element
        await session.close()
        return page.texts

    return asyncio.run(read())


def test_real_server_answers_503_and_explains_instead_of_crashing(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": closed_port_url(), "COURSE_DATA_DIR": str(tmp_path)}
    server = AppServer("streamlit_app.py", env=env, ready_path="/_stcore/health", log=tmp_path / "server.log")
    server.start()
    try:
        status, body = server.get("/healthz")
        print(f"closed port: /healthz -> {status} {body!r}")
        assert status == 503 and body.startswith("database unavailable")
        assert "s3cret-pw" not in body
        texts = page_text(server.url)
        assert any(MESSAGE in t for t in texts), texts
        time.sleep(1)
        assert server.process is not None and server.process.poll() is None  # still serving
        assert server.get("/healthz")[0] == 503
    finally:
        server.stop()


def test_real_server_recovers_when_the_database_appears(tmp_path: Path) -> None:
    base = postgres_base_url()
    if base is None:
        pytest.skip("set TEST_DATABASE_URL to run the PostgreSQL fault tests")
    name = f"f_{uuid.uuid4().hex[:16]}"
    missing = base.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    env = {**os.environ, "DATABASE_URL": missing, "COURSE_DATA_DIR": str(tmp_path)}
    server = AppServer("streamlit_app.py", env=env, ready_path="/_stcore/health", log=tmp_path / "server.log")
    try:
        server.start()
        status, body = server.get("/healthz")
        assert status == 503, body
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        status, body = server.get("/healthz", timeout=30)  # the first request after creation migrates
        print(f"database created: /healthz -> {status} {body!r}")
        assert (status, body) == (200, "ok")
        assert not any(MESSAGE in t for t in page_text(server.url))
    finally:
        server.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
