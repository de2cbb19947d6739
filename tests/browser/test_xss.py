"""The XSS corpus through every place text is shown, in the real browser.

Content: a copy of the fixture course whose module (title, summary, objectives, body), glossary
terms, case (text, choice labels, feedback, debrief) and knowledge checks carry every payload in
tests/abuse/xss_corpus.txt; the app serves it via COURSE_CONTENT_DIR. Learner text: display names
at sign-up, a reflection and the reason given for a choice. Each page is opened with
`window.alert`/`confirm`/`prompt`, a `window.pwned` setter and the console watched; afterwards no
hook may have fired, and the page may hold no script/iframe/object element, no on* attribute and
no link whose address is javascript:, vbscript: or data: (so none can be clicked).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import expect

from course.content import load_course
from tests.browser.conftest import (
    REPO,
    WAIT_MS,
    Server,
    add_user,
    next_frames,
    run_and_settle,
    settle,
    sign_in_in_browser,
    sign_up_in_browser,
)

pytestmark = pytest.mark.browser

CORPUS = REPO / "tests" / "abuse" / "xss_corpus.txt"
FIXTURE_COURSE = REPO / "tests" / "content" / "good"

WATCH_JS = """
window.__xss = [];
const hit = (what) => window.__xss.push(what);
window.alert = () => hit('alert');
window.confirm = () => { hit('confirm'); return false; };
window.prompt = () => { hit('prompt'); return null; };
Object.defineProperty(window, 'pwned', {configurable: false, get: () => undefined, set: () => hit('pwned')});
"""

# Anything that would let a payload run or be clicked into running, anywhere in the app.
DANGER_JS = """() => {
  const found = [];
  const root = document.querySelector('[data-testid="stApp"]');
  for (const el of root.querySelectorAll('script, iframe, object, embed, frame, base, meta[http-equiv]')) {
    // The course's own one-shot scroll script (course/ui/scroll.py), recognised by its attribute and body.
    const ours = el.matches('script[data-scroll-request]') && el.textContent.includes('mark.scrollIntoView(');
    if (!ours) found.push('element ' + el.outerHTML.slice(0, 120));
  }
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) found.push('handler ' + el.outerHTML.slice(0, 120));
    }
  }
  for (const el of root.querySelectorAll('a[href], [src], [action], [formaction]')) {
    for (const name of ['href', 'src', 'action', 'formaction']) {
      const raw = el.getAttribute(name);
      if (raw === null) continue;
      let scheme;
      try { scheme = new URL(raw, location.href).protocol; } catch (e) { continue; }
      const dataNotImage = scheme === 'data:' && !/^data:image\\//i.test(raw.trim());
      if (['javascript:', 'vbscript:'].includes(scheme) || dataNotImage) {
        found.push(name + ' ' + el.outerHTML.slice(0, 120));
      }
    }
  }
  return found;
}"""


def payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


def short(n: int) -> str:
    """The n-th payload without line breaks, for one-line fields (labels, stems, names)."""
    corpus = payloads()
    return corpus[n % len(corpus)]


def poisoned_course(root: Path) -> Path:
    """The fixture course with the payloads in every field a learner sees; still valid content."""
    shutil.copytree(FIXTURE_COURSE, root)
    corpus = payloads()
    every = "\n\n".join(corpus)

    module = root / "modules" / "01-first.md"
    front, body = module.read_text(encoding="utf-8").split("---\n", 2)[1:]
    meta = yaml.safe_load(front)
    meta["title"] = f"A first module {short(3)}"
    meta["summary"] = f"Summary {short(19)}"
    meta["objectives"][0]["text"] = f"Describe containment {short(20)}"
    module.write_text(
        "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body + "\n" + every + "\n",
        encoding="utf-8",
    )

    glossary_file = root / "glossary" / "terms.yaml"
    glossary = yaml.safe_load(glossary_file.read_text(encoding="utf-8"))
    for i, term in enumerate(glossary["terms"]):
        term["long"] = f"{term['long']}\n\n{every}"
        term["example"] = f"{term['example']} {short(i + 5)}"
    glossary_file.write_text(yaml.safe_dump(glossary, allow_unicode=True, sort_keys=False), encoding="utf-8")

    case_file = root / "vignettes" / "case.yaml"
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    case["summary"] = f"A small story graph. {short(1)}"
    for i, node in enumerate(case["nodes"]):
        node["text"] = f"{node['text']}\n\n{every}"
        if "debrief" in node:
            node["debrief"] = f"{node['debrief']}\n\n{every}"
        for j, choice in enumerate(node.get("choices", [])):
            choice["label"] = f"{choice['label']} {short(i + j + 7)}"
            choice["feedback"] = f"{choice['feedback']} {short(i + j + 21)}"
        if node.get("prompts"):
            node["prompts"] = [f"{p} {short(9)}" for p in node["prompts"]]
    case_file.write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), encoding="utf-8")

    for quiz_file in (root / "quizzes").glob("*.yaml"):
        quiz = yaml.safe_load(quiz_file.read_text(encoding="utf-8"))
        for i, item in enumerate(quiz["items"]):
            item["stem"] = f"{item['stem']} {short(i + 11)}"
            for j, option in enumerate(item["options"]):
                option["text"] = f"{option['text']} {short(i + j + 13)}"
                option["rationale"] = f"{option['rationale']} {short(i + j + 29)}"
        quiz_file.write_text(yaml.safe_dump(quiz, allow_unicode=True, sort_keys=False), encoding="utf-8")

    # The validator refuses the unsafe link schemes (its first line of defence), but those errors
    # leave the parsed items in place, so the app still serves every payload: the browser below
    # proves the renderers stay safe even when an author ignores the validator.
    errors = [p for p in load_course(root).errors if "is not allowed (hint: link to an https://" not in str(p)]
    assert errors == [], f"the poisoned course must otherwise be valid content: {[str(p) for p in errors]}"
    refused = {str(p).split("a link to '")[1].split("'")[0] for p in load_course(root).errors}
    assert refused == {"javascript:", "data:", "vbscript:"}
    return root


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSE_CONTENT_DIR", str(poisoned_course(tmp_path_factory.mktemp("xss") / "course")))
    patch.setenv("COURSE_ASSESSMENT_ITEMS", "5")
    running = Server(tmp_path_factory.mktemp("xss-data") / "data")
    running.start()
    yield running
    running.stop()
    patch.undo()


@pytest.fixture
def watched(chromium: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose alerts, dialogs and console are recorded in the returned list."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(WATCH_JS)
    page = context.new_page()
    events: list[str] = []
    page.on("dialog", lambda dialog: (events.append(f"dialog {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda msg: events.append(f"console {msg.text}") if "XSS-RAN" in msg.text else None)
    yield page, events
    context.close()


def assert_inert(page: Any, events: list[str], where: str) -> None:
    settle(page)
    page.mouse.move(300, 300)  # hover-triggered handlers would fire now (no click: that is the user's)
    next_frames(page)  # what a hover would have triggered has run and been painted
    assert page.evaluate("window.__xss") == [], f"{where}: a payload ran"
    assert events == [], f"{where}: {events}"
    assert page.evaluate(DANGER_JS) == [], f"{where}: live markup in the page"


def test_payloads_in_content_never_run(xss_server: Server, watched: tuple[Any, list[str]]) -> None:
    page, events = watched
    sign_up_in_browser(page, xss_server, "Xena Content", "xena@example.org")
    for path in ("/", "/modules", "/modules?id=first", "/glossary", "/glossary?term=containment", "/vignettes"):
        page.goto(f"{xss_server.url}{path}")
        assert_inert(page, events, path)
    # A knowledge check answered: rationales (with payloads) are shown.
    page.goto(f"{xss_server.url}/modules?id=first")
    settle(page)
    form = page.get_by_test_id("stForm").first
    form.get_by_role("radio").first.check(force=True)
    run_and_settle(page, form.get_by_role("button", name="Check answer").click)
    expect(page.get_by_text("Why each option is right or wrong")).to_be_visible()
    page.get_by_text("Why each option is right or wrong").click()
    assert_inert(page, events, "knowledge check feedback")
    # Clicking the links the payloads tried to make: they must go nowhere that runs code.
    for label in ("markdown link", "encoded link", "upper link", "reference link", "vbscript link", "data link"):
        for link in page.get_by_role("link", name=label).all():
            href = link.get_attribute("href") or ""
            assert not href.strip().lower().startswith(("javascript:", "vbscript:", "data:")), href
    assert_inert(page, events, "after looking for payload links")


def test_learner_text_never_runs(xss_server: Server, watched: tuple[Any, list[str]]) -> None:
    page, events = watched
    name = "<img src=x onerror=window.pwned=1>[n](javascript:window.pwned=1)"
    sign_up_in_browser(page, xss_server, name, "xander@example.org")
    assert_inert(page, events, "home with a hostile display name")
    # Shown as text; the word joiner before "." keeps it from becoming an autolink (course.markdown).
    expect(page.get_by_text("Signed in as")).to_contain_text("<img src=x onerror=window\u2060.pwned=1>")
    page.goto(f"{xss_server.url}/account")
    assert_inert(page, events, "account page")

    # The case: a reason for the choice and a reflection, both hostile.
    page.goto(f"{xss_server.url}/vignettes?id=case")
    settle(page)
    run_and_settle(page, page.get_by_role("button", name="Start the case").click)
    run_and_settle(page, page.get_by_role("button", name="Continue").click)
    page.get_by_role("radiogroup").get_by_role("radio").nth(1).check(force=True)  # "Talk ..." leads to the reflection
    page.get_by_label("Why? (optional, a few words for yourself)").fill(short(34)[:300])
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("About your choice:")).to_be_visible()
    assert_inert(page, events, "feedback after a hostile reason")
    page.get_by_role("textbox").first.fill("\n".join(payloads())[:4000])
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Debrief")).to_be_visible()
    assert_inert(page, events, "ending after a hostile reflection")
    for path in ("/vignettes", "/progress", "/portfolio", "/assessment"):
        page.goto(f"{xss_server.url}{path}")
        assert_inert(page, events, path)


def test_cohort_names_and_shared_reflections_never_run(xss_server: Server, watched: tuple[Any, list[str]]) -> None:
    """An educator's cohort name and a learner's shared reflection, both hostile, on every page showing them."""
    from course import accounts, cohorts, reflections
    from course.clock import utcnow
    from course.store.db import Store, database_url

    page, events = watched
    hostile = "<script>window.pwned=1</script>[c](javascript:window.pwned=1)<img src=x onerror=window.pwned=1>"
    add_user(xss_server, role="educator", email="ezra-xss@example.org", name="Ezra <b>Educator</b>")
    add_user(xss_server, role="learner", email="lou-xss@example.org", name="Lou Learner")
    store = Store.open(database_url({"COURSE_DATA_DIR": str(xss_server.data_dir)}))
    try:
        educator = accounts.find_user_by_email(store, "ezra-xss@example.org")
        learner = accounts.find_user_by_email(store, "lou-xss@example.org")
        assert educator is not None and learner is not None
        cohort = cohorts.create_cohort(store, educator, hostile, now=utcnow())
        cohorts.join_by_code(store, learner, cohort.invite_code, now=utcnow())
        cohorts.assign(store, educator, cohort.id, "module", "first", utcnow(), now=utcnow())
        note = reflections.write_structured(
            store,
            learner,
            object_type="module",
            object_id="first",
            title=hostile[:120],
            answers={key: "\n".join(payloads())[:4000] for key in reflections.SECTION_KEYS},
            content_version="v",
            now=utcnow(),
        )
        reflections.share(store, learner, note.id, cohort.id, now=utcnow())
    finally:
        store.close()

    sign_in_in_browser(page, xss_server, "lou-xss@example.org")
    for path in ("/", "/portfolio"):
        page.goto(f"{xss_server.url}{path}")
        assert_inert(page, events, f"learner {path} with a hostile cohort name")
    # Signing out ends in the browser following /auth/signout, which deletes the cookie: wait for it.
    with page.expect_response(lambda response: urlsplit(response.url).path == "/auth/signout"):
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{xss_server.url}/")
    settle(page)

    sign_in_in_browser(page, xss_server, "ezra-xss@example.org")
    for path in (f"/cohorts?cohort={cohort.id}", f"/dashboards?cohort={cohort.id}"):
        page.goto(f"{xss_server.url}{path}")
        assert_inert(page, events, f"educator {path}")
    page.get_by_role("tab", name="Shared reflections").click()
    assert_inert(page, events, "the shared hostile reflection")
    expect(page.get_by_text("<script>window.pwned=1</script>").first).to_be_attached()


LINK_JS = """() => {
  const root = document.querySelector('[data-testid="stApp"]');
  const found = [];
  for (const el of root.querySelectorAll('a[href*="example.net"], img[src*="example.net"], [src*="example.net"]')) {
    const box = el.closest('[data-testid^="st"]:not([data-testid="stMarkdownContainer"])');
    const where = box ? box.getAttribute('data-testid') + ' ' + box.textContent.slice(0, 120) + ' :: ' : '';
    found.push(where + el.outerHTML.slice(0, 160));
  }
  return found;
}"""


# Text as a person reads it (the invisible word joiners that break autolinks removed).
SHOWN_AS_TEXT_JS = """(typed) => document.querySelector('[data-testid="stApp"]').innerText
  .replace(/\\u2060/g, '').includes(typed)"""


def test_typed_text_never_becomes_a_link_or_image(xss_server: Server, watched: tuple[Any, list[str]]) -> None:
    """Issue 16: Markdown links, images and bare www./https:// addresses in a display name, a reflection
    title and a cohort name stay text on the learner's pages (home, portfolio, Account: invitation and
    cohort list) and on the educator's Shared reflections tab, the per-learner page and flash messages."""
    from course import accounts, cohorts, reflections
    from course.clock import utcnow
    from course.store.db import Store, database_url

    page, events = watched
    typed = "[o](https://example.net/x) ![i](https://example.net/p.png) www.example.net"
    add_user(xss_server, role="educator", email="ezra-link@example.org", name=typed)
    add_user(xss_server, role="learner", email="lou-link@example.org", name=typed)
    store = Store.open(database_url({"COURSE_DATA_DIR": str(xss_server.data_dir)}))
    try:
        educator = accounts.find_user_by_email(store, "ezra-link@example.org")
        learner = accounts.find_user_by_email(store, "lou-link@example.org")
        assert educator is not None and learner is not None
        cohort = cohorts.create_cohort(store, educator, typed, now=utcnow())
        invited = cohorts.create_cohort(store, educator, typed + " 2", now=utcnow())
        cohorts.join_by_code(store, learner, cohort.invite_code, now=utcnow())
        cohorts.invite(store, educator, invited.id, "lou-link@example.org", now=utcnow())
        cohorts.assign(store, educator, cohort.id, "module", "first", utcnow(), now=utcnow())
        note = reflections.write_structured(
            store,
            learner,
            object_type="module",
            object_id="first",
            title=typed,
            answers=dict.fromkeys(reflections.SECTION_KEYS, typed),
            content_version="v",
            now=utcnow(),
        )
        reflections.share(store, learner, note.id, cohort.id, now=utcnow())
    finally:
        store.close()

    sign_in_in_browser(page, xss_server, "lou-link@example.org")
    for path in ("/", "/portfolio", "/account"):
        page.goto(f"{xss_server.url}{path}")
        assert_inert(page, events, path)
        assert page.evaluate(LINK_JS) == [], f"{path}: typed text became a link or image"
    assert page.evaluate(SHOWN_AS_TEXT_JS, typed), "the typed text is shown, as it was typed"
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("You joined").first).to_be_visible(timeout=60_000)
    assert page.evaluate(LINK_JS) == [], "the flash after accepting"
    # Signing out ends in the browser following /auth/signout then "/": wait for both, or the next
    # navigation is aborted by the redirect still under way (net::ERR_ABORTED).
    with page.expect_response(lambda response: urlsplit(response.url).path == "/auth/signout"):
        page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(f"{xss_server.url}/")
    settle(page)

    sign_in_in_browser(page, xss_server, "ezra-link@example.org")
    page.goto(f"{xss_server.url}/dashboards?cohort={cohort.id}")
    settle(page)
    page.get_by_role("tab", name="Shared reflections").click()
    page.locator('[data-testid="stExpander"] summary:visible', has_text="example").first.click()
    assert_inert(page, events, "shared reflections")
    assert page.evaluate(SHOWN_AS_TEXT_JS, typed), "the shared reflection's title and author, as typed"
    assert page.evaluate(LINK_JS) == [], "shared reflections: typed text became a link or image"
    page.goto(f"{xss_server.url}/learner?learner={learner.id}")
    assert_inert(page, events, "the learner's page")
    assert page.evaluate(LINK_JS) == [], "the learner's page"
