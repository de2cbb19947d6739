"""The abuse tests drive the app like tests/ui does: reuse its AppTest fixtures."""

from tests.ui.conftest import app_store, make_user

__all__ = ["app_store", "make_user"]
