"""The case page: pick a vignette, then play it one step at a time as the prescriber."""

from __future__ import annotations

from collections import deque

import streamlit as st

from course import casenotes, play
from course.accounts import User
from course.clock import utcnow
from course.content import Course
from course.graph import outgoing
from course.markdown import render_content
from course.reflections import save_reflection
from course.schema import Choice, ChoiceNode, EndingNode, ReflectionNode, Vignette
from course.storymap import LEGEND, to_dot
from course.ui import confirm, resources, scroll
from course.ui.glossary_view import term_popover
from course.ui.portfolio_view import render_case_reflection, render_decisions
from course.vignette import CONTINUE, UNDO, PlayState, VignetteError, choices_offered, choices_unavailable, node_of

CASES_PAGE = "course/ui/pages/vignettes.py"
_OUTCOME_LABEL = {"helpful": "A helpful ending", "mixed": "A mixed ending", "harmful": "A harmful ending"}


def catalogue(user: User, course: Course) -> None:
    st.title("Cases")
    st.write(
        "You are the prescriber. Each case moves one step at a time; your choices change the "
        "relationship, the risk and the pressure you feel, and the ending depends on them."
    )
    store = resources.store()
    for vignette in course.vignettes.values():
        resumed = play.resume(store, user, vignette, course.version_of("vignette", vignette.id))
        state = resumed.state
        here = node_of(vignette, state.node) if state is not None else None
        if state is None:
            status = f"{vignette.minutes} min · not started"
        elif isinstance(here, EndingNode):
            status = "finished · " + _OUTCOME_LABEL[here.outcome.value].lower()
        else:
            status = f"in progress · {len(state.choices_made)} decisions made"
        with st.container(border=True):
            st.page_link(CASES_PAGE, label=vignette.title, query_params={"id": vignette.id})
            st.caption(f"{status} · {vignette.summary}")


def _steps_to_end(vignette: Vignette, node_id: str) -> int:
    """Fewest moves from `node_id` to any ending (for an honest progress bar)."""
    seen = {node_id}
    queue = deque([(node_id, 0)])
    while queue:
        current, distance = queue.popleft()
        node = node_of(vignette, current)
        if isinstance(node, EndingNode):
            return distance
        for target, _ in outgoing(node):
            if target not in seen:
                seen.add(target)
                queue.append((target, distance + 1))
    return 0


_FLASH = "case-flash"
_STEP = "case-step"  # scroll request: after an action, the learner is put at the new step's news


@st.fragment
def player(user: User, course: Course, vignette: Vignette) -> None:
    """A fragment: each step reruns the case, not the whole app around it.

    Every action is a widget callback, so it is recorded before the fragment reruns and one run
    draws the new step (no second rerun per click).
    """
    store = resources.store()
    version = course.version_of("vignette", vignette.id)
    resumed = play.resume(store, user, vignette, version)
    st.page_link(CASES_PAGE, label="All cases", icon=":material/arrow_back:")
    st.title(vignette.title)
    flash = st.session_state.pop(_FLASH, None)
    if flash is not None:
        (st.warning if flash[0] == "warning" else st.error)(flash[1])
    if resumed.state is None:
        if resumed.stale:
            st.warning("This case has been revised since you last played it, so it starts again from the beginning.")
        st.write(vignette.summary)
        st.caption(f"About {vignette.minutes} minutes.")
        st.button("Start the case", type="primary", key="start", on_click=_begin, args=(user, vignette, version))
        return
    state = resumed.state
    node = node_of(vignette, state.node)
    done = len(state.route)
    remaining = _steps_to_end(vignette, state.node)
    st.progress(done / (done + remaining) if done + remaining else 1.0, text=f"Step {done + 1}")
    show_meters(vignette, state)
    scroll.scroll_here(_STEP)
    _last_feedback(course, vignette, state)
    if node.title:
        st.subheader(node.title)
    st.html(render_content(node.text))

    if isinstance(node, EndingNode):
        _ending(user, course, vignette, state, node)
    elif isinstance(node, ChoiceNode):
        _decide(user, vignette, state, choices_offered(vignette, state))
    elif isinstance(node, ReflectionNode):
        _reflect(user, vignette, state, node, version)
    else:
        st.button(
            "Continue",
            type="primary",
            key=f"continue-{node.id}",
            on_click=_act,
            args=(user, vignette, state, CONTINUE),
        )

    st.divider()
    # One horizontal block, not st.columns(2) (three blocks): each block sent costs the server an
    # event-loop wake-up, and this is drawn on every step (bench/load.py's msgs/i).
    row = st.container(horizontal=True)
    if state.choices_made:
        row.button(
            "Take back my last choice",
            icon=":material/undo:",
            key="undo",
            on_click=_act,
            args=(user, vignette, state, UNDO),
        )
    if not isinstance(node, EndingNode):
        with st.expander("Story map: your route so far", icon=":material/account_tree:"):
            story_map(vignette, state, whole=False)
    decisions = len(state.choices_made)
    if confirm.confirmed(
        "restart",
        "Restart the case",
        icon=":material/restart_alt:",
        warning=_restart_warning(decisions, finished=isinstance(node, EndingNode)),
        yes="Yes, restart the case",
        # The second step (warning, Yes, Cancel) needs the page's width, not a slot in the row.
        where=None if st.session_state.get("_confirm-restart") else row,
    ):
        _begin(user, vignette, version)
        scroll.request_scroll(_STEP)  # the button is at the foot of the step: show the first step from its top
        st.rerun()


def _restart_warning(decisions: int, *, finished: bool) -> str:
    """What a restart costs: an unfinished run ends where it is (its decisions stop being the route)."""
    if finished:
        return (
            "Play the case again from the first step? This finished run, its debrief and your writing stay in "
            "your CPD portfolio."
        )
    if not decisions:
        return "Restart the case? You go back to the first step."
    made = f"its {decisions} decision{'s no longer count' if decisions != 1 else ' no longer counts'}"
    return (
        f"Restart the case? You go back to the first step and this run ends unfinished: {made} as your route "
        "(your Why? notes and reflections stay in your CPD portfolio)."
    )


def _begin(user: User, vignette: Vignette, version: str) -> None:
    play.begin(resources.store(), user, vignette, version, now=utcnow())


def story_map(vignette: Vignette, state: PlayState, *, whole: bool) -> None:
    """The story map with the choices taken lit, and its legend. Mid-case (``whole=False``) it draws
    only the route so far, so it gives nothing ahead away."""
    route = [(m.node, m.action, m.target) for m in state.route]
    st.graphviz_chart(to_dot(vignette, route, here=state.node, whole=whole), width="stretch")
    st.caption("**Key:** " + "; ".join(f"{mark}: {meaning}" for mark, meaning in LEGEND) + ".")


def _act(user: User, vignette: Vignette, shown: PlayState, action: str, reason: str | None = None) -> None:
    """Act on the freshest state: if another tab moved the case on, say so instead of forking it."""
    store = resources.store()
    fresh = play.resume(store, user, vignette, shown.content_version).state
    if fresh is None or fresh.node != shown.node or len(fresh.route) != len(shown.route):
        st.session_state[_FLASH] = ("warning", "This case moved on in another window; showing where it is now.")
        return
    try:
        play.act(store, user, vignette, fresh, action, now=utcnow(), reason=reason)
    except VignetteError as exc:
        st.session_state[_FLASH] = ("error", str(exc))
    else:
        scroll.request_scroll(_STEP)


def meter_line(vignette: Vignette, state: PlayState) -> str:
    """The case's meters as one line of Markdown: "Alliance **5 / 10** · Risk **2 / 5**"."""
    return " · ".join(
        f"{spec.label} **{state.values[name]} / {spec.max}**" for name, spec in vignette.variables.items()
    )


def show_meters(vignette: Vignette, state: PlayState) -> None:
    """The meters in one line that wraps, their meanings in its tooltip.

    Not a row of st.metric: on a phone the columns stack, and four large figures filled the whole
    first screen of every step, pushing the story below the fold.
    """
    if not vignette.variables:
        return
    meanings = "\n\n".join(
        f"**{spec.label}**: {spec.description}" for spec in vignette.variables.values() if spec.description
    )
    st.caption(meter_line(vignette, state), help=meanings or None)


def _last_feedback(course: Course, vignette: Vignette, state: PlayState) -> None:
    """Feedback on the choice that led here: the concept at play, with where to read more."""
    last = next((m for m in reversed(state.route) if m.action not in (CONTINUE, UNDO)), None)
    if last is None or state.route[-1] is not last:
        return
    node = node_of(vignette, last.node)
    assert isinstance(node, ChoiceNode)
    choice = next(c for c in node.choices if c.id == last.action)
    if choice.feedback:
        with st.container(border=True):
            st.markdown(f"**About your choice:** {choice.feedback}")
            _concept_links(course, choice)
    safety_note(course, choice)


def safety_note(course: Course, choice: Choice) -> None:
    """A prescribing choice's safety considerations and their sources, shown with its feedback."""
    if choice.safety is None:
        return
    st.info(f"**Safety when prescribing:** {choice.safety.text}", icon=":material/medication:")
    cited = []
    for ref in choice.safety.sources:
        entry = course.bibliography.get(ref.ref)
        if entry:
            cited.append(entry.citation + (f" ({ref.locator})" if ref.locator else ""))
    if cited:
        st.caption("Sources: " + "; ".join(cited))


def unavailable_choices(vignette: Vignette, state: PlayState) -> None:
    """Choices the state closes, shown greyed out with why, never silently withheld."""
    for choice, reason in choices_unavailable(vignette, state):
        st.caption(f":material/lock: {choice.label} (not open to you now). {reason}")


def _concept_links(course: Course, choice: Choice) -> None:
    terms = [course.glossary[concept] for concept in choice.concepts if concept in course.glossary]
    if terms:
        with st.container(horizontal=True, gap="small"):
            for term in terms:
                term_popover(term)
    for ref in choice.learn_more:
        module = course.modules.get(ref.module)
        if module:
            st.markdown(f"Read more: [{module.meta.title}](/modules?id={ref.module}#{ref.section})")


def _decide(user: User, vignette: Vignette, state: PlayState, offered: list[Choice]) -> None:
    labels = {c.id: c.label for c in offered}
    step = f"{state.node}-{len(state.route)}"
    with st.form(f"decide-{step}"):
        st.radio("What do you do?", list(labels), format_func=labels.__getitem__, index=None, key=f"pick-{step}")
        unavailable_choices(vignette, state)
        st.text_input("Why? (optional, a few words for yourself)", max_chars=300, key=f"why-{step}")
        st.form_submit_button("Decide", type="primary", on_click=_decided, args=(user, vignette, state, step))


def _decided(user: User, vignette: Vignette, state: PlayState, step: str) -> None:
    picked = st.session_state.get(f"pick-{step}")
    if picked is None:
        st.session_state[_FLASH] = ("warning", "Choose what you would do first.")
        return
    _act(user, vignette, state, picked, st.session_state.get(f"why-{step}"))


def _reflect(user: User, vignette: Vignette, state: PlayState, node: ReflectionNode, version: str) -> None:
    st.caption(
        "Your answers are saved to your private reflections: you will see them again in the debrief and in "
        "your CPD portfolio, where you can share one with your educator or add it to your evidence pack."
    )
    with st.form(f"reflect-{node.id}-{len(state.route)}"):
        for i, prompt in enumerate(node.prompts):
            st.text_area(prompt, key=f"answer-{node.id}-{i}", max_chars=4000)
        st.form_submit_button(
            "Save and continue", type="primary", on_click=_reflected, args=(user, vignette, state, node, version)
        )


def _reflected(user: User, vignette: Vignette, state: PlayState, node: ReflectionNode, version: str) -> None:
    answers = [str(st.session_state.get(f"answer-{node.id}-{i}") or "") for i in range(len(node.prompts))]
    if any(a.strip() for a in answers):
        save_reflection(
            resources.store(),
            user,
            object_type="vignette",
            object_id=vignette.id,
            node_id=node.id,
            prompts=list(node.prompts),
            answers=answers,
            content_version=version,
            now=utcnow(),
        )
    _act(user, vignette, state, CONTINUE)


def _ending(user: User, course: Course, vignette: Vignette, state: PlayState, node: EndingNode) -> None:
    outcome = node.outcome.value
    (st.success if outcome == "helpful" else st.warning if outcome == "mixed" else st.error)(_OUTCOME_LABEL[outcome])
    st.subheader("Debrief")
    st.html(render_content(node.debrief))
    met: list[str] = list(vignette.concepts)
    for move in state.route:
        step = node_of(vignette, move.node)
        if isinstance(step, ChoiceNode):
            met += [c for choice in step.choices if choice.id == move.action for c in choice.concepts]
    st.subheader("Concepts you met")
    with st.container(horizontal=True, gap="small"):
        for concept in dict.fromkeys(met):
            term = course.glossary.get(concept)
            if term:
                term_popover(term)
    _your_writing(user, course, vignette)
    st.subheader("Your route through the case")
    story_map(vignette, state, whole=True)


def _your_writing(user: User, course: Course, vignette: Vignette) -> None:
    """The debrief shows back what the learner wrote in this run: Why? notes and reflections."""
    runs = casenotes.case_runs(resources.store(), user, course, vignette_id=vignette.id)
    if not runs:
        return
    run = runs[0]  # newest first: the run that just ended
    st.subheader("Your decisions and why")
    if run.decisions:
        render_decisions(run)
    else:
        st.caption("You made no decisions in this run.")
    if run.reflections:
        st.subheader("Your reflections")
        for reflection in run.reflections:
            render_case_reflection(resources.store(), user, reflection, sharing=False)
    st.page_link(
        "course/ui/pages/portfolio.py",
        label="Share these or add them to your evidence pack in your CPD portfolio",
        icon=":material/workspace_premium:",
    )
