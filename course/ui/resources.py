"""Process-wide resources shared by every session: the database and the parsed content.

Both are safe to share: the Store holds a connection pool (no per-learner state) and the parsed
course is immutable. Plain module-level singletons rather than st.cache_resource so that the
HTTP routes of st.App (which run outside any script) use the very same objects.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from course.content import LoadReport, load_course
from course.store.db import Store, database_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_lock = threading.Lock()
_stores: dict[str, Store] = {}
_urls: dict[tuple[str, str], str] = {}  # (DATABASE_URL, COURSE_DATA_DIR) -> the database URL they give
_content: dict[Path, LoadReport] = {}


def content_root() -> Path:
    return Path(os.environ.get("COURSE_CONTENT_DIR", PROJECT_ROOT)).resolve()


def store() -> Store:
    """The Store for the current DATABASE_URL, opened (and migrated) once per process."""
    # database_url() creates the SQLite data folder: a system call that every store() call (several
    # per click) paid; it is resolved again only for settings whose Store is not open.
    settings = (os.environ.get("DATABASE_URL", ""), os.environ.get("COURSE_DATA_DIR", ""))
    with _lock:
        url = _urls.get(settings)
        if url is None or url not in _stores:
            url = _urls[settings] = database_url()
        if url not in _stores:
            _stores[url] = Store.open(url)
        return _stores[url]


def content() -> LoadReport:
    root = content_root()
    with _lock:
        if root not in _content:
            _content[root] = load_course(root)
        return _content[root]


def forget(opened: Store) -> None:
    """Close and drop a Store (tests open one database per test)."""
    with _lock:
        for url, candidate in list(_stores.items()):
            if candidate is opened:
                del _stores[url]
    opened.close()
