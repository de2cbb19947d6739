"""Two app processes on one PostgreSQL database, as behind a load balancer: what a learner saves
through one is what the other shows, driven over the websocket exactly as a browser does."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bench.ws_client import AppServer, RunResult, StreamlitSession, Widget
from course import accounts
from course.clock import utcnow
from course.ui.auth_routes import SESSION_COOKIE

from .conftest import Database, make_learners


def question(page: RunResult, number: int) -> Widget:
    radios = page.keyed("answer-")
    assert len(radios) == 20, [w.user_key for w in page.widgets]
    return radios[number]


def chosen(radio: Widget) -> int | None:
    return int(radio.proto.default) if radio.proto.HasField("default") else None


async def journey(first: str, second: str, cookies: dict[str, str]) -> None:
    # Process A: start the assessment and answer question 1.
    on_a, page = await StreamlitSession.open(first, page="assessment", cookies=cookies)
    page = await on_a.rerun(click=page.widget(key="start-attempt"))
    page = await on_a.rerun(set_values={question(page, 0): 2})
    assert page.contains("1 of 20 answered")
    # Process B, a new tab for the same learner: the same attempt, with that answer chosen.
    on_b, seen = await StreamlitSession.open(second, page="assessment", cookies=cookies)
    assert seen.contains("1 of 20 answered")
    assert [w.user_key for w in seen.keyed("answer-")] == [w.user_key for w in page.keyed("answer-")]
    assert chosen(question(seen, 0)) == 2
    # ... answer question 2 there, and process A sees both after a reload.
    seen = await on_b.rerun(set_values={question(seen, 1): 0})
    assert seen.contains("2 of 20 answered")
    await on_a.close()
    on_a, reloaded = await StreamlitSession.open(first, page="assessment", cookies=cookies)
    assert reloaded.contains("2 of 20 answered")
    assert (chosen(question(reloaded, 0)), chosen(question(reloaded, 1))) == (2, 0)
    await on_a.close()
    await on_b.close()


def test_an_answer_saved_through_one_process_is_seen_through_the_other(
    postgres_database: Database, tmp_path: Path
) -> None:
    database = postgres_database
    store = database.open()  # migrated here, so the two servers start on a ready schema
    try:
        (learner,) = make_learners(store, 1, "two-processes")
        cookies = {SESSION_COOKIE: accounts.start_session(store, learner.id, now=utcnow())}
    finally:
        store.close()
    env = {**os.environ, "DATABASE_URL": database.url, "COURSE_DATA_DIR": str(tmp_path)}
    servers = [AppServer("streamlit_app.py", env=env, log=tmp_path / f"server-{n}.log") for n in "ab"]
    try:
        for server in servers:
            server.start(wait=False)  # both start (and check the schema) at the same time
        for server in servers:
            server.wait_ready()
        asyncio.run(journey(servers[0].url, servers[1].url, cookies))
    finally:
        for server in servers:
            server.stop()
