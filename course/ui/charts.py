"""Altair charts for progress and dashboards, and how every chart and table is shown.

Every chart has a title, tooltips and a Vega-Lite ``description`` (read out as the SVG's
aria-label), and is followed by its data as a table in an expander with a CSV download, so a
screen-reader user gets the same facts and an educator can take any table away.

Every chart works from a 390 px phone to a desktop: the server cannot know the screen's width, so
charts take their container's width, put categories on the y axis (one row each, names wrapped
onto lines of :data:`LABEL_CHARS` characters, never cut, so two names can never end up alike),
keep the x axis for numbers or short keys, and put legends below the plot, where they take no
width from the bars.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from course import formatting
from course.csvout import csv_bytes

STATE_COLOURS = {"done": "#2e7d32", "due": "#9e9e9e", "overdue": "#c62828"}
LABEL_CHARS = 22  # characters per line of a category label on the y axis (about 130 px at 11 px)
LABEL_LIMIT = 160  # px: the widest a label line may be; lines are wrapped to fit, so none is cut
LINES = "lines"  # the suffix of a column that holds a category's wrapped label
LINE_HEIGHT = 13  # px per line of an 11 px axis label
ROW_GAP = 8  # px between two rows' labels
ROW_MIN = 24  # px: the least height of a row (a bar you can tap)
# Vega draws an axis label with several lines when its text is an array.
_SPLIT_LINES = "split(datum.label, '\\n')"
MASTERY_COLOURS = {
    "Mastered": "#1565c0",
    "Working on it": "#64b5f6",
    "Not met yet": "#ef9a9a",
    "No evidence yet": "#ffffff",
}


def wrap_label(text: str, width: int = LABEL_CHARS) -> str:
    """A name broken into lines of about `width` characters ("\\n" between), every word kept."""
    return "\n".join(textwrap.wrap(" ".join(str(text).split()), width, break_long_words=False)) or str(text)


def _with_lines(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, str]:
    """The frame with a wrapped copy of `column` for the axis, and that copy's name."""
    lined = f"{column} {LINES}"
    return frame.assign(**{lined: frame[column].map(wrap_label)}), lined


def _row_step(frame: pd.DataFrame, lined: str) -> alt.Step:
    """Each row's height in px: room for its longest wrapped label, so labels never overlap."""
    lines = max((str(label).count("\n") + 1 for label in frame[lined]), default=1)
    return alt.Step(max(ROW_MIN, LINE_HEIGHT * lines + ROW_GAP))


def _category_axis() -> alt.Axis:
    return alt.Axis(labelExpr=_SPLIT_LINES, labelLimit=LABEL_LIMIT, labelFontSize=11)


def _legend(title: str) -> alt.Legend:
    return alt.Legend(title=title, orient="bottom", direction="horizontal")


def wall_clock(moment: datetime, tz: ZoneInfo) -> datetime:
    """``moment`` as naive wall-clock time in ``tz``, for a chart axis read as UTC (the browser does not shift it)."""
    return formatting.local(moment, tz).replace(tzinfo=None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A table as CSV through the one writer (byte-order mark, formulas neutralised)."""
    rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return csv_bytes([str(c) for c in frame.columns], rows)


def table(frame: pd.DataFrame, name: str, *, key: str | None = None) -> None:
    """Any table the app shows, with a CSV download beside it."""
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV",
        frame_csv(frame),
        file_name=f"{_slug(name)}.csv",
        mime="text/csv",
        key=key or f"csv-{_slug(name)}",
        icon=":material/download:",
    )


def show(chart: alt.Chart | alt.LayerChart, frame: pd.DataFrame, name: str, *, key: str | None = None) -> Any:
    """Draw the chart and its text alternative; returns the selection state when it has one."""
    selectable = key is not None
    result = st.altair_chart(chart, width="stretch", key=key, on_select="rerun" if selectable else "ignore")
    with st.expander(f"{name}: the data as a table"):
        table(frame, name, key=f"csv-{key}" if key else None)
    return result


def completion(frame: pd.DataFrame) -> alt.Chart:
    """One bar per module, coloured by status. Columns: Module, Status, Minutes."""
    lined, module = _with_lines(frame, "Module")
    chart: alt.Chart = (
        alt.Chart(lined, title="Module completion")
        .mark_bar()
        .encode(
            x=alt.X("Minutes:Q", title="Estimated minutes"),
            y=alt.Y(f"{module}:N", sort=None, title=None, axis=_category_axis()),
            color=alt.Color(
                "Status:N",
                scale=alt.Scale(domain=["Complete", "Not yet"], range=["#2e7d32", "#bdbdbd"]),
                legend=_legend("Status"),
            ),
            tooltip=["Module", "Status", "Minutes", "Completed"],
        )
        .properties(
            description="Bar chart: one bar per module, green when complete, grey when not yet.",
            height=_row_step(lined, module),
        )
    )
    return chart


def scores(frame: pd.DataFrame, pass_mark: int) -> alt.LayerChart:
    """Score per attempt over time with the pass line. Columns: Attempt, Submitted, Score, Result."""
    points = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            # Submitted is wall-clock time in the person's zone (wall_clock): shown as is, not shifted again.
            # Whole days: one attempt alone made a zero-width time axis labelled in milliseconds (".444").
            x=alt.X(
                "Submitted:T",
                title="Submitted",
                scale=alt.Scale(type="utc", nice="day", padding=12),
                axis=alt.Axis(format="%d %b %Y", formatType="utc", tickCount="day", labelOverlap=True),
            ),
            y=alt.Y("Score:Q", title="Score (%)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                "Attempt",
                alt.Tooltip("Submitted:T", format="%d %b %Y %H:%M", formatType="utc"),
                "Score",
                "Result",
            ],
        )
    )
    line = (
        alt.Chart(pd.DataFrame({"Pass mark": [pass_mark]}))
        .mark_rule(color="#c62828", strokeDash=[6, 4])
        .encode(y="Pass mark:Q", tooltip=["Pass mark"])
    )
    return alt.LayerChart(
        layer=[points, line],
        title="Assessment score per attempt",
        description=f"Your score in each attempt over time; the dashed line marks the {pass_mark}% pass mark.",
    )


def minutes_bar(frame: pd.DataFrame, category: str, title: str, description: str) -> alt.Chart:
    """Horizontal bars of Minutes per category (a module, a case, a learner)."""
    lined, label = _with_lines(frame, category)
    chart: alt.Chart = (
        alt.Chart(lined, title=title)
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("Minutes:Q", title="Active minutes"),
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=_category_axis()),
            tooltip=[category, "Minutes"],
        )
        .properties(description=description, height=_row_step(lined, label))
    )
    return chart


def mastery(frame: pd.DataFrame) -> alt.LayerChart:
    """One row per concept: its name, a track from 0 to 1 and a bar to its score; a click selects one.

    Columns: Concept (unique), Score (None when there is no evidence), Evidence, Status (a key of
    :data:`MASTERY_COLOURS`). A concept with no evidence draws an empty track and the words "no
    evidence yet", never a bar: a score of 0.5 from no answers at all is not half-mastery.
    """
    lined, concept = _with_lines(frame, "Concept")
    pick = alt.selection_point(name="concept", fields=["Concept"], on="click")
    y = alt.Y(f"{concept}:N", sort=None, title=None, axis=_category_axis())
    tooltip = ["Concept", alt.Tooltip("Score:Q", format=".2f"), "Evidence", "Status"]
    # A layer with nothing to draw (the bars of a learner with no evidence yet, the "no evidence" words
    # once every concept has some) still leaves an ARIA mark container with no label in the SVG, which
    # axe-core reports (svg-img-alt, serious): such a layer is drawn with ARIA off. The bars layer
    # stays, empty, because it carries the legend.
    scored = lined["Score"].notna()
    track = (
        alt.Chart(lined)
        .mark_bar(color="#eeeeee", stroke="#bdbdbd", strokeWidth=0.5)
        .encode(x=alt.datum(1.0), x2=alt.datum(0.0), y=y, tooltip=tooltip)
        .add_params(pick)
    )
    bars = (
        alt.Chart(lined)
        .transform_filter("isValid(datum.Score)")
        .mark_bar(aria=bool(scored.any()))
        .encode(
            x=alt.X("Score:Q", title="Score (0 to 1)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(tickCount=4)),
            y=y,
            color=alt.Color(
                "Status:N",
                scale=alt.Scale(domain=list(MASTERY_COLOURS), range=list(MASTERY_COLOURS.values())),
                legend=alt.Legend(
                    title="Status", orient="bottom", direction="horizontal", columns=2, symbolStrokeColor="#757575"
                ),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
            tooltip=tooltip,
        )
    )
    missing = (
        alt.Chart(lined)
        .transform_filter("!isValid(datum.Score)")
        .mark_text(align="left", dx=6, fontStyle="italic", color="#616161", fontSize=11, aria=bool((~scored).any()))
        .encode(x=alt.datum(0.0), y=y, text=alt.value("no evidence yet"), tooltip=tooltip)
    )
    return alt.LayerChart(
        layer=[track, bars, missing],
        title="Mastery by concept (click a row for the evidence)",
        height=_row_step(lined, concept),
        description=(
            "One row per course concept with a bar to its mastery score from 0 to 1, coloured mastered, working "
            "on it or not met yet; concepts with no evidence yet show an empty track."
        ),
    )


def state_grid(frame: pd.DataFrame) -> alt.Chart:
    """Learner x assignment grid coloured by done/due/overdue.

    Columns: Learner (unique per learner), Key (a short unique name per assignment, "A1"...),
    Assignment, State, Due, Done. Columns are headed by the keys: whole titles would not fit one
    column each on a phone; the page lists what each key stands for.
    """
    lined, learner = _with_lines(frame, "Learner")
    chart: alt.Chart = (
        alt.Chart(lined, title="Completion by learner and assignment")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("Key:N", title="Assignment", sort=None, axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y(f"{learner}:N", title=None, sort=None, axis=_category_axis()),
            color=alt.Color(
                "State:N",
                scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())),
                legend=_legend("State"),
            ),
            tooltip=["Learner", "Key", "Assignment", "State", "Due", "Done"],
        )
        .properties(
            description="Grid with a row per learner and a column per assignment: green done, grey due, red overdue.",
            height=_row_step(lined, learner),
        )
    )
    return chart


def by_assignment(frame: pd.DataFrame) -> alt.Chart:
    """Percentage of the cohort done per assignment. Columns: Assignment, Done (%), Done, Learners, Due."""
    lined, assignment = _with_lines(frame, "Assignment")
    chart: alt.Chart = (
        alt.Chart(lined, title="Completion by assignment")
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("Done (%):Q", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y(f"{assignment}:N", sort=None, title=None, axis=_category_axis()),
            tooltip=["Assignment", "Done", "Learners", "Done (%)", "Due"],
        )
        .properties(
            description="Bars: the share of the cohort that has finished each assignment.",
            height=_row_step(lined, assignment),
        )
    )
    return chart


def score_distribution(frame: pd.DataFrame, pass_mark: int | None) -> alt.LayerChart:
    """Histogram of attempt scores with the pass line. Columns: Learner, Score, Result, Submitted."""
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("Score:Q", bin=alt.Bin(extent=[0, 100], step=10), title="Score (%)"),
            y=alt.Y("count():Q", title="Attempts"),
            tooltip=[alt.Tooltip("count():Q", title="Attempts")],
        )
    )
    layers: list[alt.Chart] = [bars]
    if pass_mark is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"Pass mark": [pass_mark]}))
            .mark_rule(color="#c62828", strokeDash=[6, 4])
            .encode(x="Pass mark:Q", tooltip=["Pass mark"])
        )
    return alt.LayerChart(
        layer=layers,
        title="Score distribution (all submitted attempts)",
        description="Histogram of assessment scores in bands of ten percent; the dashed line is the pass mark.",
    )


def facility(frame: pd.DataFrame) -> alt.LayerChart:
    """Facility per item with its 95% interval. Columns: Item, Facility, Low, High, Answers, Flags."""
    base = alt.Chart(frame).encode(y=alt.Y("Item:N", sort=None, title=None, axis=_category_axis()))
    bars = base.mark_rule(color="#90a4ae", strokeWidth=3).encode(
        x=alt.X("Low:Q", title="Facility (share right) with 95% interval", scale=alt.Scale(domain=[0, 1])),
        x2="High:Q",
    )
    dots = base.mark_point(filled=True, size=60, color="#1565c0").encode(
        x="Facility:Q", tooltip=["Item", alt.Tooltip("Facility:Q", format=".2f"), "Low", "High", "Answers", "Flags"]
    )
    return alt.LayerChart(
        layer=[bars, dots],
        title="Item facility",
        description="The share of learners who got each question right, with a 95% interval (wide when few answered).",
    )
