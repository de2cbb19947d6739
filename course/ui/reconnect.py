"""A browser tab that reconnects to a process that does not know its session: redraw it from the database.

Behind a proxy with several app processes (deploy/), when the process holding a tab's session dies
the tab reconnects to another one, which starts a new, empty session for it. The tab still shows the
old page and still holds its widget values; the next click sends them as the new session's first
script run. Streamlit only calls a widget's ``on_change``/``on_click`` callback when the widget was
registered by an earlier run of the same session (``SessionState._call_callbacks`` skips widgets
without metadata), so that first interaction would be dropped: a chosen answer would show as chosen
while nothing was saved. The same happens to a single process that restarts under an open tab.

A click on a widget inside an ``st.fragment`` is worse: it asks for a run of that fragment alone,
which the new session never registered, so Streamlit skips it and every such click does nothing.

So :class:`FullFirstRun` (ASGI middleware) turns the first script-run request of every websocket
connection into a full run, and :func:`reload_if_session_lost` (first thing in every full run)
reloads the page when a session's first run arrives carrying widget values: the tab gets a fresh
session drawn from the database (everything saved is there), and the learner's next action works
as usual. A normal page load sends no widget values on its first run, and a tab that reconnects to
the same live process resumes its old session (not a first run: at most one extra full run).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from course.ui.redirect import go_to

_STARTED = "_session_started"  # session_state marker: this session has run the script before


def _incoming_widget_values() -> int:
    """How many widget values the browser sent with this script run (0 if Streamlit hides them)."""
    ctx = get_script_run_ctx()
    state = getattr(getattr(ctx, "session_state", None), "_state", None)
    incoming = getattr(state, "_new_widget_state", None)
    try:
        return len(incoming) if incoming is not None else 0
    except TypeError:
        return 0


def _page_address() -> str | None:
    """The tab's own address (path and query), from what the browser sent with this run."""
    ctx = get_script_run_ctx()
    info = getattr(ctx, "context_info", None)
    if ctx is None or info is None or not info.HasField("url"):
        return None
    path = urlsplit(info.url).path or "/"
    return f"{path}?{ctx.query_string}" if ctx.query_string else path


def reload_if_session_lost() -> None:
    """Call first thing in every script run. On a lost session's first run: reload the tab and stop."""
    if _STARTED in st.session_state:
        return
    st.session_state[_STARTED] = True
    if not _incoming_widget_values():
        return
    address = _page_address()
    if address is None:  # not a browser (a test client): carry on as a fresh session
        return
    go_to(address)
    st.info("The connection to the course was restored. Reloading this page with everything you have saved.")
    st.stop()


STREAM_PATH = "/_stcore/stream"


def full_run_request(data: bytes) -> tuple[bytes, bool]:
    """(the BackMsg with any ``rerun_script.fragment_id`` removed, whether it is a script-run request).

    Bytes that are not a BackMsg come back unchanged (Streamlit itself rejects them).
    """
    message = BackMsg()
    try:
        message.ParseFromString(data)
    except Exception:  # protobuf's DecodeError: not ours to judge
        return data, False
    if message.WhichOneof("type") != "rerun_script":
        return data, False
    if not message.rerun_script.fragment_id:
        return data, True
    message.rerun_script.fragment_id = ""
    return bytes(message.SerializeToString()), True


class FullFirstRun:
    """ASGI middleware: the first script-run request on each Streamlit websocket runs the whole page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not str(scope.get("path", "")).endswith(STREAM_PATH):
            await self.app(scope, receive, send)
            return
        waiting = True  # for this connection's first script-run request

        async def receive_first_as_full() -> Message:
            nonlocal waiting
            message = await receive()
            data = message.get("bytes") if waiting and message.get("type") == "websocket.receive" else None
            if data:
                changed, was_rerun = full_run_request(data)
                waiting = not was_rerun
                if changed is not data:
                    message = {**message, "bytes": changed}
            return message

        await self.app(scope, receive_first_as_full, send)
