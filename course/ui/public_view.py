"""What a signed-out visitor sees: the public course page, a sample case step, and gated deep links.

Nothing here reads or writes learner data: the sample plays the pure state machine in the
browser session only (course.vignette), so a visitor leaves no record.
"""

from __future__ import annotations

import streamlit as st

from course import site
from course.assessment import Settings
from course.clock import utcnow
from course.content import Course
from course.formatting import floor_to
from course.markdown import render_content
from course.schema import ChoiceNode, EndingNode, ReflectionNode, Vignette
from course.ui.session import current_user
from course.ui.vignette_view import show_meters
from course.vignette import CONTINUE, PlayState, VignetteError, advance, node_of, start

SIGN_IN = "course/ui/pages/sign_in.py"
SIGN_UP = "course/ui/pages/sign_up.py"
SAMPLE = "course/ui/pages/sample.py"
ABOUT = "course/ui/pages/about.py"
HOME = "course/ui/pages/home.py"


def _hours(minutes: int) -> str:
    hours = floor_to(minutes / 60, 0.5)
    return f"about {hours:g} hours" if hours >= 1 else f"about {minutes} minutes"


def _calls_to_action(signed_in: bool) -> None:
    if signed_in:
        st.page_link(HOME, label="Go to your home page", icon=":material/home:")
        return
    cols = st.columns(3)
    cols[0].page_link(SIGN_UP, label="Create a free account", icon=":material/person_add:")
    cols[1].page_link(SIGN_IN, label="Sign in", icon=":material/login:")
    cols[2].page_link(SAMPLE, label="Try a case without an account", icon=":material/play_circle:")


def course_page(course: Course) -> None:
    """The public description of the course: what, for whom, objectives, parts, sources, privacy."""
    settings = site.load_site()
    signed_in = current_user() is not None
    st.title("Relational Prescribing")
    st.markdown(
        "**An online course on how the relationship between prescriber and patient shapes what is "
        "prescribed, and whether it helps.**"
    )
    _calls_to_action(signed_in)

    st.header("What the course is")
    modules = [p for p in site.listings(course) if p.kind == "module"]
    cases = [p for p in site.listings(course) if p.kind == "case"]
    assessment = Settings.from_env()
    st.markdown(
        f"{len(modules)} short theory modules, {len(cases)} branching cases in which you play the prescriber, "
        f"and a summative assessment of {assessment.items} single-best-answer questions (pass mark "
        f"{assessment.pass_mark_percent}%). Study at your own pace, {_hours(site.total_minutes(course))} in all. "
        "Along the way you keep a CPD time log and private reflections, and once every module is complete "
        "and the assessment passed you receive a certificate that anyone can verify online."
    )
    st.markdown(
        "The course teaches ideas from psychodynamic and attachment theory (transference, "
        "countertransference, projective identification, containment) as tools a busy prescriber can use: "
        "to notice the pressures in a consultation, to think before acting on them, and to make a "
        "prescription part of a working relationship rather than a way out of a difficult one."
    )

    st.header("Who it is for")
    st.markdown(
        "- Psychiatry trainees and consultants\n"
        "- General practitioners\n"
        "- Pharmacists and nurse prescribers\n"
        "- Educators (training programme directors, Balint group leaders), who can set modules and cases "
        "for a cohort with due dates and follow their progress"
    )

    st.header("Modules, cases and learning objectives")
    st.caption("Open a module to see what you will be able to do after it.")
    for number, part in enumerate(modules, start=1):
        with st.expander(f"Module {number}: {part.title} · {part.minutes} min"):
            st.write(part.summary)
            st.markdown("**By the end you will be able to:**")
            st.markdown("\n".join(f"- {objective}" for objective in part.objectives))
    st.subheader("Cases")
    for part in cases:
        with st.container(border=True):
            st.markdown(f"**{part.title}** · {part.minutes} min")
            st.caption(part.summary)
    if not signed_in and cases:
        st.page_link(SAMPLE, label="Play the opening of a case now, without an account", icon=":material/play_circle:")

    st.header("Accreditation")
    st.write(settings.accreditation)

    st.header("Authors and sources")
    st.write(settings.authors)
    articles, primary = site.sources(course)
    st.markdown("\n".join(f"- {citation}" for citation in articles))
    if primary:
        with st.expander(f"The {len(primary)} primary works the course cites through these articles"):
            st.markdown("\n".join(f"- {citation}" for citation in primary))

    st.header("Privacy notice")
    _privacy(settings)
    if not signed_in:
        st.divider()
        _calls_to_action(signed_in)


def _privacy(settings: site.Site) -> None:
    st.markdown(
        f"""
**Who holds your data.** {settings.privacy_contact[:1].upper()}{settings.privacy_contact[1:]}.

**What is kept, and why.**
- Your account: your name (it appears on your certificate), your email address, your role and a
  one-way hash of your password (never the password itself).
- Your learning record: what you open, answer and choose, with the time, so the course can show your
  progress, resume where you left off, count your CPD time and issue your certificate. This includes
  the notes you type beside a decision in a case.
- Your reflections: private to you. An educator reads one only if you share it with their cohort, and
  you can withdraw it at any time.

**Who else sees it.** If you join a cohort, its educator sees your progress, completion dates, scores
and time spent on the course, but not your reflections unless you share them. Statistics about
questions and cases are shown to educators only as counts, never with names, and only for 5 or more
learners. If this site sends learning records to an organisation's learning record store (xAPI), your
actions go there too.

**Email.** If this site sends email, it is only to reset your password when you ask, and to remind you
of assignments (each reminder has a link to stop that kind of email; you can also change this on your
Account page).

**Cookies.** One cookie keeps you signed in, one random value tells your browser apart so that a
sign-in link works only in the browser that asked for it, and Streamlit sets one that protects
forms against cross-site request forgery. There are no analytics or advertising cookies.

**Your rights.** On your Account page you can download everything the course holds about you, or
delete your account, which erases your personal data and leaves only anonymous figures in cohort
statistics. Without an account, nothing you do on this page or in the sample case is stored.
"""
    )


# --- the sample: the opening of a case, played without an account --------------------------------

_SAMPLE_KEY = "public-sample"


def sample_case(course: Course) -> Vignette | None:
    """The case offered as a sample: the first in course order (None when the course has none)."""
    return next(iter(course.vignettes.values()), None)


def sample(course: Course) -> None:
    """Play one case up to and including its first decision. Nothing is stored anywhere."""
    vignette = sample_case(course)
    st.title("Try a case")
    if vignette is None:
        st.info("This course has no cases yet.")
        return
    st.caption("A sample, without an account: nothing you choose or type here is recorded.")
    st.subheader(vignette.title)
    state: PlayState | None = st.session_state.get(_SAMPLE_KEY)
    if state is None or state.vignette_id != vignette.id:
        st.write(vignette.summary)
        st.button("Start the sample", type="primary", key="sample-start", on_click=_start_sample, args=(vignette,))
        _after_sample(signed_in=current_user() is not None, finished=False)
        return
    _meters(vignette, state)
    decided = [m for m in state.route if m.action != CONTINUE]
    if decided:
        _feedback(vignette, decided[0].node, decided[0].action)
        st.success("That was the first decision of this case. The full case goes on from here.")
        st.button("Play the opening again", key="sample-again", on_click=_start_sample, args=(vignette,))
        _after_sample(signed_in=current_user() is not None, finished=True)
        return
    node = node_of(vignette, state.node)
    if node.title:
        st.markdown(f"**{node.title}**")
    st.html(render_content(node.text))
    if isinstance(node, ChoiceNode):
        labels = {c.id: c.label for c in node.choices}
        with st.form("sample-decide"):
            st.radio("What do you do?", list(labels), format_func=labels.__getitem__, index=None, key="sample-pick")
            st.form_submit_button("Decide", type="primary", on_click=_sample_act, args=(vignette,))
    elif isinstance(node, EndingNode):  # a case whose story ends before any decision
        st.html(render_content(node.debrief))
    else:
        if isinstance(node, ReflectionNode):
            st.caption("In the course you would answer these questions in your private reflections:")
            st.markdown("\n".join(f"- {prompt}" for prompt in node.prompts))
        st.button("Continue", type="primary", key=f"sample-continue-{node.id}", on_click=_sample_act, args=(vignette,))
    if flash := st.session_state.pop("sample-flash", None):
        st.warning(flash)


def _start_sample(vignette: Vignette) -> None:
    st.session_state[_SAMPLE_KEY] = start(vignette, content_version="sample", now=utcnow())[0]


def _sample_act(vignette: Vignette) -> None:
    state: PlayState | None = st.session_state.get(_SAMPLE_KEY)
    if state is None:
        return
    node = node_of(vignette, state.node)
    action = CONTINUE
    if isinstance(node, ChoiceNode):
        picked = st.session_state.get("sample-pick")
        if picked is None:
            st.session_state["sample-flash"] = "Choose what you would do first."
            return
        action = str(picked)
    try:
        st.session_state[_SAMPLE_KEY] = advance(vignette, state, action, now=utcnow())[0]
    except VignetteError as exc:
        st.session_state["sample-flash"] = str(exc)


def _meters(vignette: Vignette, state: PlayState) -> None:
    show_meters(vignette, state)  # the one way a case shows its meters


def _feedback(vignette: Vignette, node_id: str, choice_id: str) -> None:
    node = node_of(vignette, node_id)
    assert isinstance(node, ChoiceNode)
    choice = next(c for c in node.choices if c.id == choice_id)
    st.markdown(f"**You chose:** {choice.label}")
    if choice.feedback:
        with st.container(border=True):
            st.markdown(f"**About your choice:** {choice.feedback}")


def _after_sample(*, signed_in: bool, finished: bool) -> None:
    if signed_in:
        st.page_link("course/ui/pages/vignettes.py", label="Play the whole case", icon=":material/alt_route:")
        return
    if finished:
        st.markdown(
            "With a free account you play every case to its ending, with a debrief and a map of your route; "
            "your notes and reflections are kept privately for your CPD portfolio."
        )
    cols = st.columns(2)
    cols[0].page_link(SIGN_UP, label="Create a free account", icon=":material/person_add:")
    cols[1].page_link(SIGN_IN, label="Sign in", icon=":material/login:")
    st.page_link(ABOUT, label="About the course", icon=":material/info:")


# --- a gated deep link says what is behind it ------------------------------------------------------


def teaser(course: Course, url_path: str, params: dict[str, str], page_title: str) -> tuple[str, str | None]:
    """What a signed-out visitor asked for: a heading and, for a module, case or term, its summary.

    Only what the public page already shows (titles, summaries, a term's short definition); an id
    that names nothing gives the page's own name.
    """
    wanted = params.get("id")
    if url_path == "modules" and wanted in course.modules:
        module = course.modules[wanted]
        return f"Sign in to read the module “{module.meta.title}”", f"{module.meta.minutes} min · {module.meta.summary}"
    if url_path == "vignettes" and wanted in course.vignettes:
        case = course.vignettes[wanted]
        return f"Sign in to play the case “{case.title}”", f"{case.minutes} min · {case.summary}"
    term_id = params.get("term")
    if url_path == "glossary" and term_id in course.glossary:
        term = course.glossary[term_id]
        return f"Sign in to read the glossary entry “{term.term}”", term.short
    return f"Sign in to open {page_title}", None
