"""The educator's teaching home (overdue counts, what changed since the last visit) and one learner's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from course import cohorts, progress, reflections, teaching
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.forms import plain
from tests.cpd.helpers import COURSE, reflect
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
TEACHING = "course/ui/pages/teaching.py"
LEARNER = "course/ui/pages/learner.py"


def _shown(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(texts(at.markdown) + texts(at.caption) + texts(at.warning) + [e.label for e in at.expander])


@pytest.fixture
def group(app_store: Store, make_user: MakeUser) -> dict[str, object]:
    now = utcnow()
    ed = make_user(Role.EDUCATOR, "ed@example.org", "Ed Educator")
    lee = make_user(Role.LEARNER, "lee@example.org", "Lee *Learner*")
    kim = make_user(Role.LEARNER, "kim@example.org", "Kim Keen")
    cohort = cohorts.create_cohort(app_store, ed, "Balint Tuesday", now=now - timedelta(days=30))
    for who in (lee, kim):
        cohorts.join_by_code(app_store, who, cohort.invite_code, now=now - timedelta(days=3))
    cohorts.assign(app_store, ed, cohort.id, "module", "first", now - timedelta(days=1), now=now - timedelta(days=10))
    return {"ed": ed, "lee": lee, "kim": kim, "cohort": cohort}


def test_the_home_shows_overdue_counts_and_only_what_changed_since_the_last_visit(
    app_store: Store, group: dict
) -> None:  # type: ignore[type-arg]
    ed, lee, kim, cohort = group["ed"], group["lee"], group["kim"], group["cohort"]
    at = signed_in(app_store, ed, TEACHING)
    assert not at.exception and texts(at.title) == ["Teaching home"]
    assert [(m.label, m.value) for m in at.metric] == [("Learners", "2"), ("Overdue", "2")]
    assert "2 learners with overdue work." in _shown(at)
    assert "your first visit" in _shown(at) and "joined" in _shown(at)

    # Since that visit: Kim completes the module, Lee shares a reflection.
    progress.set_module_complete(app_store, kim, COURSE.modules["first"], True, now=utcnow())
    note = reflect(app_store, lee, utcnow(), title="After the group")
    reflections.share(app_store, lee, note, cohort.id, now=utcnow())
    again = signed_in(app_store, ed, TEACHING)
    shown = _shown(again)
    assert [(m.label, m.value) for m in again.metric] == [("Learners", "2"), ("Overdue", "1")]
    assert "Since your last visit" in shown
    assert "Kim Keen completed A first module" in shown
    assert r"Lee \*Learner\* shared After the group" in shown  # a name is text, never Markdown
    assert "joined" not in shown  # they joined before the last visit
    # A rerun in the same session keeps showing the same news (the visit was recorded once).
    again.run()
    assert "Kim Keen completed A first module" in _shown(again)


def test_the_home_leaves_out_learners_the_educator_may_not_view(
    app_store: Store, group: dict, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[type-arg]
    kim = group["kim"]
    monkeypatch.setattr(teaching, "may_view_learner", lambda _c, _v, learner_id: learner_id != kim.id)
    at = signed_in(app_store, group["ed"], TEACHING)
    assert [(m.label, m.value) for m in at.metric] == [("Learners", "1"), ("Overdue", "1")]
    assert "Kim Keen" not in _shown(at)


def test_the_learner_page_shows_one_learners_record(app_store: Store, group: dict) -> None:  # type: ignore[type-arg]
    ed, lee, cohort = group["ed"], group["lee"], group["cohort"]
    progress.set_module_complete(app_store, lee, COURSE.modules["first"], True, now=utcnow())
    note = reflect(app_store, lee, utcnow(), title="Shared with Ed")
    reflections.share(app_store, lee, note, cohort.id, now=utcnow())
    reflect(app_store, lee, utcnow(), title="Kept private")
    at = signed_in(app_store, ed, LEARNER, learner=str(lee.id))
    assert not at.exception
    assert texts(at.title) == [plain("Lee *Learner*")]  # the typed name shown as text, not as emphasis
    assert [(m.label, m.value) for m in at.metric] == [("Modules complete", "1 / 2"), ("Cases finished", "0 / 1")]
    table = at.dataframe[0].value
    assert list(table["Assignment"]) == ["A first module"] and list(table["State"]) == ["Done"]
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Shared with Ed") for label in labels)
    assert not any("Kept private" in label for label in labels)


def test_the_learner_page_refuses_someone_not_in_the_educators_cohorts(
    app_store: Store, group: dict, make_user: MakeUser
) -> None:  # type: ignore[type-arg]
    stranger = make_user(Role.LEARNER, "stranger@example.org", "Stella Stranger")
    other_ed = make_user(Role.EDUCATOR, "other@example.org", "Other Educator")
    for viewer, learner_id in ((group["ed"], str(stranger.id)), (other_ed, str(group["lee"].id))):
        at = signed_in(app_store, viewer, LEARNER, learner=learner_id)
        assert not at.exception
        assert texts(at.error) == ["There is no learner you may view at this address."]
        assert "Stella" not in _shown(at) and "Lee" not in _shown(at)


def test_an_educators_home_page_points_to_the_teaching_home(app_store: Store, group: dict) -> None:  # type: ignore[type-arg]
    at = signed_in(app_store, group["ed"], "course/ui/pages/home.py")
    assert "Your teaching home: cohorts, overdue work and what changed" in [p.proto.label for p in at.get("page_link")]
    learner_home = signed_in(app_store, group["lee"], "course/ui/pages/home.py")
    assert not any("teaching home" in p.proto.label for p in learner_home.get("page_link"))
