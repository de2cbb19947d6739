"""Altair charts for progress and dashboards, and how every chart and table is shown.

Every chart has a title, tooltips and a Vega-Lite ``description`` (read out as the SVG's
aria-label), and is followed by its data as a table in an expander with a CSV download, so a
screen-reader user gets the same facts and an educator can take any table away.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from course import formatting
from course.csvout import csv_bytes

STATE_COLOURS = {"done": "#2e7d32", "due": "#9e9e9e", "overdue": "#c62828"}


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
    chart: alt.Chart = (
        alt.Chart(frame, title="Module completion")
        .mark_bar()
        .encode(
            x=alt.X("Minutes:Q", title="Estimated minutes"),
            y=alt.Y("Module:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "Status:N",
                scale=alt.Scale(domain=["Complete", "Not yet"], range=["#2e7d32", "#bdbdbd"]),
                legend=alt.Legend(title="Status"),
            ),
            tooltip=["Module", "Status", "Minutes", "Completed"],
        )
        .properties(description="Bar chart: one bar per module, green when complete, grey when not yet.")
    )
    return chart


def scores(frame: pd.DataFrame, pass_mark: int) -> alt.LayerChart:
    """Score per attempt over time with the pass line. Columns: Attempt, Submitted, Score, Result."""
    points = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True))
        .encode(
            # Submitted is wall-clock time in the person's zone (wall_clock): shown as is, not shifted again.
            x=alt.X("Submitted:T", title="Submitted", scale=alt.Scale(type="utc"), axis=alt.Axis(formatType="utc")),
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
    chart: alt.Chart = (
        alt.Chart(frame, title=title)
        .mark_bar(color="#1565c0")
        .encode(
            x=alt.X("Minutes:Q", title="Active minutes"),
            y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            tooltip=[category, "Minutes"],
        )
        .properties(description=description)
    )
    return chart


def mastery(frame: pd.DataFrame) -> alt.LayerChart:
    """Concepts in a grid coloured by score; a click selects one.

    Columns: Concept, Label, Score, Evidence, Status, Row, Column.
    """
    pick = alt.selection_point(name="concept", fields=["Concept"], on="click")
    cells = (
        alt.Chart(frame)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=alt.X("Column:O", axis=None),
            y=alt.Y("Row:O", axis=None),
            color=alt.Color(
                "Score:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), legend=alt.Legend(title="Score")
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=["Concept", alt.Tooltip("Score:Q", format=".2f"), "Evidence", "Status"],
        )
        .add_params(pick)
    )
    labels = (
        alt.Chart(frame)
        .mark_text(fontSize=9, limit=90)
        .encode(x="Column:O", y="Row:O", text="Label:N", color=alt.value("#212121"))
    )
    return alt.LayerChart(
        layer=[cells, labels],
        title="Mastery by concept (click a cell for the evidence)",
        height=alt.Step(34),
        description="Grid of course concepts; darker cells have more good evidence of understanding.",
    )


def state_grid(frame: pd.DataFrame) -> alt.Chart:
    """Learner x assignment grid coloured by done/due/overdue. Columns: Learner, Assignment, State, Due, Done."""
    chart: alt.Chart = (
        alt.Chart(frame, title="Completion by learner and assignment")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("Assignment:N", title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("Learner:N", title=None),
            color=alt.Color(
                "State:N",
                scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())),
                legend=alt.Legend(title="State"),
            ),
            tooltip=["Learner", "Assignment", "State", "Due", "Done"],
        )
        .properties(
            description="Grid with a row per learner and a column per assignment: green done, grey due, red overdue."
        )
    )
    return chart


def by_assignment(frame: pd.DataFrame) -> alt.Chart:
    """Percentage of the cohort done per assignment. Columns: Assignment, Done (%), Done, Learners, Due."""
    chart: alt.Chart = (
        alt.Chart(frame, title="Completion by assignment")
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("Done (%):Q", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("Assignment:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
            tooltip=["Assignment", "Done", "Learners", "Done (%)", "Due"],
        )
        .properties(description="Bars: the share of the cohort that has finished each assignment.")
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
    base = alt.Chart(frame).encode(y=alt.Y("Item:N", sort=None, title=None))
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
