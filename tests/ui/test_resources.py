"""The process-wide Store follows the database settings of the moment, also when it remembers them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.ui import resources


def test_each_data_folder_gets_its_own_store_when_settings_alternate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first, second = tmp_path / "first", tmp_path / "second"
    opened = []
    try:
        for folder in (first, second, first, second):
            monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
            opened.append(resources.store())
            assert str(opened[-1].engine.url.database) == str(folder / "course.sqlite3")
        assert opened[0] is opened[2] and opened[1] is opened[3] and opened[0] is not opened[1]
        resources.forget(opened[0])  # a closed Store is opened afresh, its folder made again
        shutil.rmtree(first)
        monkeypatch.setenv("COURSE_DATA_DIR", str(first))
        again = resources.store()
        assert again is not opened[0] and str(again.engine.url.database) == str(first / "course.sqlite3")
        opened[0] = again
    finally:
        for store in {id(s): s for s in opened}.values():
            resources.forget(store)
