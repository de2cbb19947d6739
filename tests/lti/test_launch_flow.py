"""LTI 1.3 end to end over HTTP against the test platform: login, launch, deep linking, NRPS, AGS.

The browser journey (tests/browser/test_lti_journey.py) shows the same in Chromium; these tests
cover the refusals and the bookkeeping a browser test would be slow to reach.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jwcrypto.jwk import JWK
from sqlalchemy import select

from course import accounts, assessment
from course.__main__ import main
from course.accounts import Role
from course.clock import utcnow
from course.content import load_course
from course.lti import grades
from course.store.db import Store
from course.store.models import CohortMemberRow, CohortRow, LtiContextRow, LtiScoreRow, UserRow
from tests.lti.conftest import FIXTURE_COURSE, Served, form_of, handoff_of, launch
from tests.lti.platform import CONTEXT_TITLE, PEOPLE, Platform

COURSE = load_course(FIXTURE_COURSE).course


def _deep_link(browser: httpx.Client, platform: Platform, target: str) -> str:
    """Ivy places `target` in her course through deep linking; returns the new resource link id."""
    picker = launch(browser, platform, "ivy", "deeplink")
    assert picker.status_code == 200 and "Add the course to your LMS" in picker.text, picker.text
    assert 'value="vignette:case"' in picker.text and 'value="assessment"' in picker.text
    action, fields = form_of(picker.text)
    sending = browser.post(urlsplit(str(picker.url))._replace(path=action).geturl(), data={**fields, "target": target})
    assert sending.status_code == 200, sending.text
    return_url, response_fields = form_of(sending.text)
    added = browser.post(return_url, data=response_fields)
    assert added.status_code == 200 and "Added to PSY101" in added.text, added.text
    return list(platform.links)[-1]


def _sign_in(browser: httpx.Client, tool: Served, landing_page: httpx.Response) -> httpx.Response:
    handoff = handoff_of(landing_page)
    assert handoff.startswith("/auth/handoff?")
    return browser.get(tool.url + handoff)


def test_an_instructor_picks_a_case_and_a_learner_lands_in_it_signed_in(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client, new_browser: Callable[..., httpx.Client]
) -> None:
    link = _deep_link(browser, platform, "vignette:case")
    [item] = platform.deep_link_items
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"target": "vignette:case"}
    assert item["url"] == f"{tool.url}/lti/launch" and item["title"] == COURSE.vignettes["case"].title

    learner = new_browser()
    landing = launch(learner, platform, "leo", link)
    assert landing.status_code == 200 and "Opening the course" in landing.text
    assert landing.headers["referrer-policy"] == "no-referrer"
    signed_in = _sign_in(learner, tool, landing)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/vignettes?id=case"
    session = learner.cookies.get("rp_session")
    leo = accounts.user_for_session(lti_store, session, now=utcnow())
    assert leo is not None and (leo.display_name, leo.email, leo.role) == (
        "Leo Learner",
        "leo@lms.example",
        Role.LEARNER,
    )

    with lti_store.read() as conn:
        [cohort] = conn.execute(select(CohortRow)).all()
        members = {
            r.email: r.joined_via
            for r in conn.execute(
                select(UserRow.email, CohortMemberRow.joined_via).join(
                    CohortMemberRow, CohortMemberRow.user_id == UserRow.id
                )
            ).all()
        }
        owner = conn.execute(select(UserRow.email, UserRow.role).where(UserRow.id == cohort.owner_id)).one()
    assert cohort.name == f"{CONTEXT_TITLE} (Test LMS)" and tuple(owner) == ("ivy@lms.example", "educator")
    # The roster (NRPS) brought in Lou, who never launched; Gus is inactive and Ivy teaches.
    assert members == {"leo@lms.example": "lti", "lou@lms.example": "lti"}
    assert platform.nrps_calls == 1


def test_the_assessment_result_reaches_the_gradebook_through_ags(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client
) -> None:
    link = platform.new_link("Relational prescribing", {"target": "module:first"})
    landing = launch(browser, platform, "leo", link)
    assert _sign_in(browser, tool, landing).headers["location"] == "/modules?id=first"
    leo = accounts.user_for_session(lti_store, browser.cookies.get("rp_session"), now=utcnow())
    assert leo is not None
    # No retake cooldown, so the test can sit three attempts in a row.
    settings = assessment.Settings(items=4, pass_mark_percent=75, retake_cooldown_hours=0)

    def sit(seed: int, right: int) -> None:
        attempt = assessment.start_attempt(lti_store, leo, COURSE, settings, now=utcnow(), seed=seed)
        for number, item in enumerate(attempt.paper):
            wrong = next(o.key for o in COURSE.items()[item.item_id].options if o.key != item.answer)
            answer = item.answer if number < right else wrong
            assessment.save_answer(lti_store, leo, attempt.id, item.item_id, answer, answered_at=utcnow())
        assessment.submit(lti_store, leo, attempt.id, now=utcnow())
        grades.send_soon(lti_store, leo.id).join(timeout=30)

    sit(seed=3, right=2)  # not passed: 2 of 4
    sit(seed=4, right=1)  # a worse attempt does not lower the grade: the best attempt is sent
    sit(seed=5, right=3)  # passed
    assert [s["scoreGiven"] for s in platform.scores] == [2, 2, 3]
    score = platform.scores[-1]
    assert score["userId"] == PEOPLE["leo"].sub
    assert (score["scoreGiven"], score["scoreMaximum"]) == (3, 4)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["comment"] == "Passed: 3 of 4 correct."
    # No link placed the assessment, so the course-level column was created (once) and remembered.
    [lineitem] = platform.lineitems.values()
    assert lineitem["tag"] == grades.LINEITEM_TAG and score["lineitem"] == lineitem["id"]
    with lti_store.read() as conn:
        row = conn.execute(select(LtiScoreRow.status, LtiScoreRow.score_given)).one()
        remembered = conn.execute(select(LtiContextRow.assessment_lineitem_url)).scalar_one()
    assert tuple(row) == ("sent", 3) and remembered == lineitem["id"]
    assert len(platform.lineitems) == 1


def test_a_deep_linked_assessment_gets_its_own_gradebook_column(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client, new_browser: Callable[..., httpx.Client]
) -> None:
    link = _deep_link(browser, platform, "assessment")
    assert platform.links[link].lineitem is not None  # the platform made it from the deep link's lineItem
    learner = new_browser()
    landing = launch(learner, platform, "leo", link)
    assert _sign_in(learner, tool, landing).headers["location"] == "/assessment"
    leo = accounts.user_for_session(lti_store, learner.cookies.get("rp_session"), now=utcnow())
    assert leo is not None
    attempt = assessment.start_attempt(lti_store, leo, COURSE, assessment.Settings(4, 75), now=utcnow(), seed=1)
    assessment.submit(lti_store, leo, attempt.id, now=utcnow(), confirm_incomplete=True)
    assert main(["lti", "send-scores"]) == 0  # the cron route gives the same result as the page's thread
    [score] = platform.scores
    assert score["lineitem"] == platform.links[link].lineitem and score["comment"].startswith("Not passed yet")


def test_launches_the_tool_must_refuse(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client, new_browser: Callable[..., httpx.Client]
) -> None:
    link = platform.new_link("Case", {"target": "vignette:case"})
    auth_page = browser.get(platform.start_url("leo", link), follow_redirects=True)
    action, fields = form_of(auth_page.text)
    # Posted from a browser that did not start this login (login CSRF): its state cookie is missing.
    other = new_browser().post(action, data=fields)
    assert other.status_code == 400 and "State not found" in other.text
    assert browser.post(action, data=fields).status_code == 200
    # The same id_token and state again, from the same browser (a replay): the nonce is used up.
    replay = browser.post(action, data=fields)
    assert replay.status_code == 400 and "Invalid Nonce" in replay.text

    platform.signing_key = JWK.generate(kty="RSA", size=2048)  # not the key its JWKS publishes
    forged = launch(new_browser(), platform, "leo", link)
    assert forged.status_code == 400
    platform.signing_key = None

    refused = launch(new_browser(), platform, "leo", "deeplink")
    assert refused.status_code == 403 and "Only an instructor" in refused.text

    gone = platform.new_link("Old case", {"target": "vignette:retired"})
    assert launch(new_browser(), platform, "leo", gone).status_code == 403

    unknown = browser.get(f"{tool.url}/lti/login", params={"iss": "https://lms.unknown", "login_hint": "x"})
    assert unknown.status_code == 400 and "not registered" in unknown.text

    framed = new_browser(headers={"Sec-Fetch-Dest": "iframe"})
    in_frame = launch(framed, platform, "leo", link)
    assert in_frame.status_code == 200 and 'target="_blank"' in in_frame.text and "http-equiv" not in in_frame.text
    # The new window shares no cookie with the frame, so its link is not bound to a browser: the
    # window is asked before anyone is signed in (issue 16: never sign in silently from a passed link).
    found = re.search(r'href="(/auth/handoff[^"]+)"', in_frame.text)
    assert found
    window = new_browser()
    asked = window.get(tool.url + unescape(found.group(1)))
    assert asked.status_code == 200 and "Continue as" in asked.text and "rp_session" not in window.cookies
    action, fields = form_of(asked.text)
    signed_in = window.post(tool.url + action, data=fields, headers={"Origin": tool.url})
    assert signed_in.status_code == 303
    assert accounts.user_for_session(lti_store, window.cookies.get("rp_session"), now=utcnow()) is not None


def _set(name: str, value: object) -> Callable[[dict[str, object]], None]:
    return lambda claims: claims.__setitem__(name, value)


def _drop(name: str) -> Callable[[dict[str, object]], None]:
    return lambda claims: claims.pop(name)


def _at(name: str, seconds_from_now: int) -> Callable[[dict[str, object]], None]:
    """Set a time claim relative to when the token is made (not when this module was imported:
    a long test run would otherwise turn "in the future" into the past)."""
    return lambda claims: claims.__setitem__(name, int(time.time()) + seconds_from_now)


ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
# Validly signed id_tokens the tool must still refuse (IMS Security Framework 5.1.3; LTI Core 5.3),
# each with the words the refusal must say. PyLTI1p3 alone accepted every one of these.
BAD_CLAIMS = {
    "meant for another tool": (_set("aud", "another-tool"), "Registration not found"),
    "several audiences, no azp": (_set("aud", ["course-tool-1", "another-tool"]), "authorised party (azp)"),
    "issued to another tool": (_set("azp", "another-tool"), "issued to another tool (azp)"),
    "no exp": (_drop("exp"), "no valid 'exp'"),
    "exp not a number": (_set("exp", "tomorrow"), "no valid 'exp'"),
    "expired": (_at("exp", -120), "expired (exp)"),
    "no iat": (_drop("iat"), "no valid 'iat'"),
    "issued in the future": (_at("iat", 600), "issued in the future (iat)"),
    "issued two hours ago": (_at("iat", -7200), "too old (iat)"),
    "roles as one string": (_set(ROLES, "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"), "list"),
    "roles holding an object": (_set(ROLES, [{"role": "Instructor"}]), "list"),
}


@pytest.mark.parametrize("case", sorted(BAD_CLAIMS))
def test_a_validly_signed_launch_with_bad_claims_is_refused_and_signs_nobody_in(
    lti_store: Store, tool: Served, platform: Platform, new_browser: Callable[..., httpx.Client], case: str
) -> None:
    tamper, reason = BAD_CLAIMS[case]
    link = platform.new_link("Case", {"target": "vignette:case"})
    platform.tamper = tamper
    refused = launch(new_browser(), platform, "leo", link)
    assert refused.status_code == 400 and reason in unescape(refused.text), refused.text
    assert "/auth/handoff" not in refused.text
    with lti_store.read() as conn:
        assert conn.execute(select(UserRow.id).where(UserRow.display_name == PEOPLE["leo"].name)).first() is None
    platform.tamper = None
    assert launch(new_browser(), platform, "leo", link).status_code == 200  # the same link, untampered


@pytest.mark.parametrize("message_type", ["LtiSubmissionReviewRequest", "DataPrivacyLaunchRequest"])
def test_launch_kinds_the_tool_does_not_offer_are_refused(
    lti_store: Store,
    tool: Served,
    platform: Platform,
    new_browser: Callable[..., httpx.Client],
    message_type: str,
) -> None:
    link = platform.new_link("Case", {"target": "vignette:case"})

    def other_kind(claims: dict[str, object]) -> None:
        claims[MESSAGE_TYPE] = message_type
        if message_type == "LtiSubmissionReviewRequest":
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {"lineitem": "x", "scope": []}
            claims["https://purl.imsglobal.org/spec/lti/claim/for_user"] = {"user_id": "u"}

    platform.tamper = other_kind
    refused = launch(new_browser(), platform, "leo", link)
    assert refused.status_code == 400 and "does not offer" in refused.text, refused.text
    assert "/auth/handoff" not in refused.text


def test_an_email_that_belongs_to_a_local_account_is_not_taken_over(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client
) -> None:
    local = accounts.create_user_admin(
        lti_store, email="leo@lms.example", display_name="Local Leo", password="a long password 1",
        role=Role.LEARNER, now=utcnow(),
    )  # fmt: skip
    link = platform.new_link("Case", {"target": "vignette:case"})
    _sign_in(browser, tool, launch(browser, platform, "leo", link))
    launched = accounts.user_for_session(lti_store, browser.cookies.get("rp_session"), now=utcnow())
    assert launched is not None and launched.id != local.id and launched.email.endswith("@lti.invalid")


def test_keys_rotate_and_the_jwks_keeps_the_previous_one(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    first = browser.get(f"{tool.url}/lti/jwks").json()["keys"]
    assert len(first) == 1 and first[0]["alg"] == "RS256" and "d" not in first[0]  # public parts only
    assert main(["lti", "rotate-key"]) == 0
    second = browser.get(f"{tool.url}/lti/jwks").json()["keys"]
    assert [k["kid"] for k in second][1:] == [first[0]["kid"]] and len(second) == 2
    assert main(["lti", "rotate-key"]) == 0
    third = [k["kid"] for k in browser.get(f"{tool.url}/lti/jwks").json()["keys"]]
    assert first[0]["kid"] not in third and len(third) == 2
    # The platform verifies what the tool now signs with the new current key.
    _deep_link(browser, platform, "dashboard")
    assert platform.deep_link_items[-1]["custom"] == {"target": "dashboard"}
    capsys.readouterr()


def test_platform_commands_check_what_they_are_given(lti_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["lti", "add-platform", "--name", "Moodle", "--issuer", "https://moodle.example.ac.uk",
            "--client-id", "abc", "--token-url", "https://moodle.example.ac.uk/mod/lti/token.php",
            "--jwks-url", "https://moodle.example.ac.uk/mod/lti/certs.php", "--deployment-id", "3"]  # fmt: skip
    assert main([*base, "--login-url", "moodle.example.ac.uk/auth"]) == 1
    assert "must be an http(s) address" in capsys.readouterr().err
    assert main([*base, "--login-url", "https://moodle.example.ac.uk/mod/lti/auth.php"]) == 0
    assert "registered platform" in capsys.readouterr().out
    assert main([*base, "--login-url", "https://moodle.example.ac.uk/mod/lti/auth.php", "--deployment-id", "4"]) == 0
    assert "updated platform" in capsys.readouterr().out
    assert main(["lti", "list"]) == 0
    listed = capsys.readouterr().out
    assert "client_id=abc" in listed and "deployments=3,4" in listed
    platform_id = listed.split("\t", 1)[0]
    assert main(["lti", "remove", "--id", platform_id]) == 0
    assert main(["lti", "remove", "--id", platform_id]) == 1
    assert main(["lti", "list"]) == 0 and capsys.readouterr().out.strip().endswith(f"removed platform {platform_id}")


def test_login_state_outlives_the_process_that_saw_the_login(
    lti_store: Store, tool: Served, platform: Platform, browser: httpx.Client
) -> None:
    """Login and launch may reach different app processes: nothing of the flow lives in process memory."""
    second = __import__("tests.lti.conftest", fromlist=["serve_tool"]).serve_tool()
    try:
        link = platform.new_link("Case", {"target": "vignette:case"})
        auth_page = browser.get(platform.start_url("leo", link), follow_redirects=True)
        action, fields = form_of(auth_page.text)
        assert urlsplit(action).netloc == urlsplit(tool.url).netloc
        landing = browser.post(second.url + "/lti/launch", data=fields)  # another process answers the launch
        assert landing.status_code == 200, landing.text
        assert parse_qs(urlsplit(handoff_of(landing)).query)["next"] == ["/vignettes?id=case"]
    finally:
        second.stop()


def test_behind_a_proxy_the_public_address_and_cross_site_cookies_are_used(
    lti_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over HTTPS the login state cookie must survive the LMS's cross-site form POST: SameSite=None; Secure."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from course.lti import registry
    from course.ui.auth_routes import ROUTES

    registry.add_platform(
        lti_store, name="LMS", issuer="https://lms.example", client_id="c", auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token", key_set_url="https://lms.example/jwks", deployment_ids=["1"],
        now=utcnow(),
    )  # fmt: skip
    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://course.example.org/")
    with TestClient(Starlette(routes=ROUTES), base_url="http://10.0.0.5:8501", follow_redirects=False) as client:
        response = client.get("/lti/login", params={"iss": "https://lms.example", "login_hint": "u", "client_id": "c"})
    assert response.status_code == 302
    sent = parse_qs(urlsplit(response.headers["location"]).query)
    assert sent["redirect_uri"] == ["https://course.example.org/lti/launch"]
    assert sent["response_mode"] == ["form_post"] and sent["prompt"] == ["none"]
    cookies = response.headers.get_list("set-cookie")
    assert cookies and all(
        "secure" in c.lower() and "samesite=none" in c.lower() and "httponly" in c.lower() for c in cookies
    )
