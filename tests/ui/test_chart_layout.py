"""Charts work at a phone's width: categories on the y axis, wrapped whole (never cut, so never
alike), legends below the plot; the educator's grid is headed by short unique keys."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from course.content import Course, load_course
from course.ui import charts

REPO = Path(__file__).resolve().parents[2]


@cache
def real_course() -> Course:
    return load_course(REPO).course


def axis_values(chart: object, frame: pd.DataFrame) -> tuple[dict[str, object], list[str]]:
    """The chart's y encoding and the values its y field takes (the labels drawn on the axis)."""
    spec = chart.to_dict()  # type: ignore[attr-defined]
    layer = spec["layer"][0] if "layer" in spec else spec
    y = layer["encoding"]["y"]
    datasets = list(spec["datasets"].values())
    return y, [row[y["field"]] for row in datasets[0]]


def test_wrapped_labels_keep_every_word_and_fit_their_lines() -> None:
    for name in ["Countertransference", "Countertransference prescribing", "Readiness to change and ambivalence"]:
        wrapped = charts.wrap_label(name)
        assert wrapped.replace("\n", " ") == name
        assert all(len(line) <= charts.LABEL_CHARS or " " not in line for line in wrapped.split("\n"))
    assert charts.wrap_label("Countertransference prescribing") == "Countertransference\nprescribing"


def test_every_concept_label_on_the_real_course_is_whole_and_unique() -> None:
    names = sorted(term.term for term in real_course().glossary.values())
    frame = pd.DataFrame(
        {"Concept": names, "Score": [None] * len(names), "Evidence": [0] * len(names), "Status": "No evidence yet"}
    )
    y, labels = axis_values(charts.mastery(frame), frame)
    assert len(set(labels)) == len(names)  # two concepts never share a row or a label
    assert [label.replace("\n", " ") for label in labels] == names  # nothing cut: the whole name shows
    assert y["axis"]["labelExpr"] == "split(datum.label, '\\n')"  # each line drawn as a line
    assert "Countertransference\nprescribing" in labels and "Countertransference" in labels


def test_category_charts_put_names_on_lines_and_legends_below() -> None:
    modules = pd.DataFrame(
        {
            "Module": ["Why the relationship matters when prescribing", "Balint and the object relations school"],
            "Status": ["Complete", "Not yet"],
            "Minutes": [30, 25],
            "Completed": ["", ""],
        }
    )
    built = [
        (charts.completion(modules), modules),
        (charts.minutes_bar(modules, "Module", "Time", "Bars."), modules),
        (
            charts.by_assignment(
                pd.DataFrame(
                    {
                        "Assignment": ["A long module title here"],
                        "Done (%)": [50],
                        "Done": [1],
                        "Learners": [2],
                        "Due": [""],
                    }
                )
            ),
            modules,
        ),
    ]
    for chart, frame in built:
        y, labels = axis_values(chart, frame)
        assert y["axis"]["labelExpr"] == "split(datum.label, '\\n')"
        assert all("\n" in label or len(label) <= charts.LABEL_CHARS for label in labels)
        legend = chart.to_dict()["encoding"].get("color", {}).get("legend")
        assert legend is None or legend["orient"] == "bottom"


def test_the_educators_grid_is_headed_by_keys_not_titles() -> None:
    grid = pd.DataFrame(
        {
            "Learner": ["Ann", "Ann", "Bob (bob@example.org)", "Bob (bob2@example.org)"],
            "Key": ["A1", "A2", "A1", "A1"],
            "Assignment": ["Why the relationship matters when prescribing", "The assessment", "Why...", "Why..."],
            "State": ["done", "due", "overdue", "due"],
            "Due": ["1 Dec 2026"] * 4,
            "Done": ["", "", "", ""],
        }
    )
    spec = charts.state_grid(grid).to_dict()
    assert spec["encoding"]["x"]["field"] == "Key" and spec["encoding"]["x"]["axis"]["labelAngle"] == 0
    assert spec["encoding"]["color"]["legend"]["orient"] == "bottom"
    _, learners = axis_values(charts.state_grid(grid), grid)
    assert len(set(learners)) == 3  # learners who share a name keep separate rows


def test_a_single_attempt_gets_a_day_axis_not_milliseconds() -> None:
    frame = pd.DataFrame(
        {
            "Attempt": [1],
            "Submitted": [pd.Timestamp("2026-11-30 09:00", tz="UTC")],
            "Score": [80.0],
            "Result": ["Passed"],
        }
    )
    x = charts.scores(frame, 80).to_dict()["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == "%d %b %Y" and x["axis"]["tickCount"] == "day"
    assert x["scale"]["nice"] == "day"
