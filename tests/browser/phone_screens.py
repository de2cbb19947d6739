"""Helpers for the phone-width and screenshot tests: a seeded course, whole-page screenshots and
facts read from the drawn charts (bars drawn, labels apart).

Both widths the issue names: a 1366x900 laptop and a 390x844 phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from course import accounts, assessment, cohorts, progress
from course.accounts import Role
from course.clock import utcnow
from course.content import Course, load_course
from course.store.db import Store, database_url
from tests.browser.conftest import PASSWORD, REPO, Server
from tests.cpd.helpers import play_to_an_ending

VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
WAIT = 60_000  # ms: every wait is for a state, sized for a loaded machine
LEARNER = ("Pat Phone", "pat@example.org")
PEER = ("Quinn Peer", "quinn@example.org")
EDUCATOR = ("Erin Educator", "erin@example.org")
CASE = "mr-z"


@dataclass(frozen=True)
class Seeded:
    course: Course
    first_module: str
    attempt_id: int
    assignments: int


def seed(server: Server) -> Seeded:
    """Two learners with activity in a cohort with three assignments, one of them overdue."""
    course = load_course(REPO).course
    store = Store.open(database_url({"COURSE_DATA_DIR": str(server.data_dir)}))
    now = utcnow()
    try:
        made = {
            email: accounts.create_user_admin(
                store, email=email, display_name=name, password=PASSWORD, role=role, now=now
            )
            for (name, email), role in [(LEARNER, Role.LEARNER), (PEER, Role.LEARNER), (EDUCATOR, Role.EDUCATOR)]
        }
        learner, peer, educator = made[LEARNER[1]], made[PEER[1]], made[EDUCATOR[1]]
        modules = sorted(course.modules.values(), key=lambda m: (m.meta.order, m.id))
        start = now - timedelta(days=2)
        progress.record_module_view(store, learner, modules[0], now=start)
        progress.set_module_complete(store, learner, modules[0], True, now=start + timedelta(minutes=20))
        for position, item in enumerate(course.checks_for(modules[0].id)):
            progress.answer_check(
                store, learner, course, item, item.answer, position=position, now=start + timedelta(minutes=21)
            )
        ended = play_to_an_ending(store, learner, course, CASE, start + timedelta(minutes=30))
        attempt = assessment.start_attempt(
            store, learner, course, assessment.Settings(items=5, pass_mark_percent=80), now=ended
        )
        for n, paper_item in enumerate(attempt.paper):
            chosen = paper_item.answer if n < 4 else next(k for k in paper_item.options if k != paper_item.answer)
            assessment.save_answer(store, learner, attempt.id, paper_item.item_id, chosen, answered_at=ended)
        assessment.submit(store, learner, attempt.id, now=ended + timedelta(minutes=5))
        cohort = cohorts.create_cohort(store, educator, "ST4 spring", now=start)
        for member in (learner, peer):  # learners join by their own act (issue 16's consent rule)
            cohorts.join_by_code(store, member, cohort.invite_code, now=start)
        due = [("module", modules[0].id, now - timedelta(days=1)), ("vignette", CASE, now + timedelta(days=7))]
        due.append(("assessment", "assessment", now + timedelta(days=14)))
        for object_type, object_id, due_at in due:
            cohorts.assign(store, educator, cohort.id, object_type, object_id, due_at, now=start)
    finally:
        store.close()
    return Seeded(course, modules[0].id, attempt.id, len(due))


def new_page(chromium: Any, width: int, height: int) -> Any:
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(WAIT)
    return context.new_page()


def sign_in(page: Any, server: Server, email: str) -> None:
    page.goto(f"{server.url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=WAIT)
    ready(page)


def ready(page: Any) -> None:
    """Wait until Streamlit has finished its script run and the network is quiet."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=WAIT)
    page.wait_for_load_state("networkidle", timeout=WAIT)


def next_frames(page: Any) -> None:
    """Wait for the browser to lay out and paint twice (after a resize or a click), not a fixed time."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    ready(page)


def charts_drawn(page: Any, count: int) -> None:
    """Wait until `count` Vega charts have drawn their axes (charts in a hidden tab are not drawn)."""
    page.wait_for_function(
        """n => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                  .filter(c => c.querySelector('.role-axis, .role-legend')).length >= n""",
        arg=count,
        timeout=WAIT,
    )


# For each chart: its accessible description, width, the marks drawn with a size (bars, cells,
# points) and the axis labels whose boxes overlap another's.
CHART_FACTS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
  const box = el => { const b = el.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  const marks = [...chart.querySelectorAll('.mark-rect path, .mark-symbol path')]
    .map(box).filter(b => b.w > 0.5 && b.h > 0.5).length;
  const labels = [...chart.querySelectorAll('.role-axis-label text')]
    .map(t => ({text: t.textContent, b: box(t)})).filter(l => l.text);
  const overlaps = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    const a = labels[i].b, c = labels[j].b;
    if (a.x < c.x + c.w - 1 && c.x < a.x + a.w - 1 && a.y < c.y + c.h - 1 && c.y < a.y + a.h - 1)
      overlaps.push(labels[i].text + ' / ' + labels[j].text);
  }
  return {description: chart.getAttribute('aria-label') || '', width: box(chart).w, marks,
          labels: labels.map(l => l.text), overlaps};
})"""


def chart_facts(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(CHART_FACTS))


def whole_page_shot(page: Any, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, not the window,
    so the viewport is stretched to the content's height for the shot, then put back."""
    size = page.viewport_size
    height = page.evaluate(
        """() => { const main = document.querySelector('[data-testid="stMain"]');
                   return Math.ceil(main ? main.scrollHeight : document.body.scrollHeight); }"""
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 20_000))})
    next_frames(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
