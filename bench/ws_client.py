"""A minimal Streamlit client that speaks the browser's websocket protocol (Streamlit 1.67).

The browser and the server exchange protobufs over ``ws://host:port/_stcore/stream``: the client
sends ``BackMsg``s (``rerun_script`` carries the URL's query string, the page and the value of every
widget), the server answers with a stream of ``ForwardMsg``s (``new_session``, one ``delta`` per
element, then ``script_finished``). One :class:`StreamlitSession` is one browser tab: it keeps the
widget values the way the frontend does, so a rerun looks to the server exactly like a click.

Used by ``bench/load.py`` and the fault tests; no Streamlit import is needed beyond its protobufs.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.typing import Subprotocol

# A run that ends with st.rerun() (or a callback's rerun) is followed at once by another run; the
# learner sees the page only when a run finishes with one of these.
_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
_WIDGET_TYPES = {"button", "radio", "checkbox", "text_input", "text_area", "selectbox"}


class ProtocolError(RuntimeError):
    """The server sent something a browser would show as an error (an exception, a missing page)."""


@dataclass(eq=False)  # hashed by identity: a Widget is a dict key in rerun(set_values=...)
class Widget:
    kind: str  # the Element oneof name: "radio", "button", ...
    proto: Any  # the widget's own protobuf (Radio, Button, ...)
    fragment_id: str = ""  # the st.fragment it was drawn in ("" outside any fragment)

    @property
    def id(self) -> str:
        return str(self.proto.id)

    @property
    def user_key(self) -> str | None:
        """The ``key=`` given in the script: Streamlit ends such ids with ``-<key>``."""
        prefix, _, rest = self.id.partition("-")  # "$$ID", then "<hash>-<key>"
        if prefix != "$$ID" or "-" not in rest:
            return None
        return rest.split("-", 1)[1]

    @property
    def label(self) -> str:
        return str(getattr(self.proto, "label", ""))


@dataclass
class RunResult:
    """What one interaction produced: how long it took and the page the learner now sees."""

    seconds: float
    widgets: list[Widget] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # markdown, headings, alerts, html (rendered text)
    text_fragments: list[str] = field(default_factory=list)  # the fragment each text was drawn in
    runs: int = 0  # script runs it took (2 when the page called st.rerun())
    messages: int = 0  # ForwardMsgs the server sent: each element or block drawn is one

    def widget(self, *, key: str | None = None, kind: str | None = None, label: str | None = None) -> Widget:
        for candidate in self.widgets:
            if key is not None and candidate.user_key != key:
                continue
            if kind is not None and candidate.kind != kind:
                continue
            if label is not None and candidate.label != label:
                continue
            return candidate
        raise LookupError(f"no widget key={key!r} kind={kind!r} label={label!r} on the page")

    def keyed(self, prefix: str) -> list[Widget]:
        return [w for w in self.widgets if (w.user_key or "").startswith(prefix)]

    def contains(self, text: str) -> bool:
        return any(text in t for t in self.texts)


class StreamlitSession:
    """One browser tab connected to a Streamlit server."""

    def __init__(self, ws: Any, page: str, query_string: str) -> None:
        self._ws = ws
        self._page_name = page
        self._page_hash = ""
        self.query_string = query_string
        # Widget values the frontend would resend on every rerun (buttons are one-shot triggers).
        self._values: dict[str, WidgetState] = {}
        # The page as last drawn: a fragment run replaces only that fragment's part of it.
        self._page = RunResult(0.0)

    @classmethod
    async def open(
        cls,
        base_url: str,
        *,
        page: str = "",
        query: str = "",
        cookies: Mapping[str, str] | None = None,
        ping_interval: float | None = 20.0,
    ) -> tuple[StreamlitSession, RunResult]:
        """Connect like a browser opening ``base_url/page?query`` and wait for the first page.

        ``ping_interval=None`` turns off the client's keepalive pings (a starved server would
        otherwise be disconnected after 20 s instead of measured).
        """
        ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
        ws = await websockets.connect(
            ws_url,
            subprotocols=[Subprotocol("streamlit")],
            additional_headers=headers,
            max_size=None,
            compression=None,
            ping_interval=ping_interval,
        )
        session = cls(ws, page, query)
        first = await session.rerun()  # timed from the rerun request, as the browser sends it on connect
        return session, first

    async def close(self) -> None:
        await self._ws.close()

    async def goto(self, page: str, query: str = "") -> RunResult:
        """Follow a link to another page of the app (what st.page_link does in the browser)."""
        self._page_name, self._page_hash, self.query_string = page, "", query
        self._values.clear()
        return await self.rerun()

    async def rerun(
        self,
        *,
        set_values: Mapping[Widget, Any] | None = None,
        click: Widget | None = None,
        timeout: float = 60.0,
    ) -> RunResult:
        """Send one interaction (change widget values and/or click a button) and wait for the page.

        The time measured is from sending the BackMsg to the ``script_finished`` that ends the last
        script run it caused: what a learner waits for after a click.
        """
        for widget, value in (set_values or {}).items():
            self._values[widget.id] = _state(widget, value)
        states = list(self._values.values())
        if click is not None:
            trigger = WidgetState(id=click.id, trigger_value=True)
            states.append(trigger)
        message = BackMsg()
        rerun = message.rerun_script
        rerun.query_string = self.query_string
        rerun.page_name = self._page_name
        rerun.page_script_hash = self._page_hash
        rerun.widget_states.widgets.extend(states)
        # Like the frontend: an interaction with a widget drawn inside a fragment reruns that fragment.
        touched = [click] if click is not None else list(set_values or {})
        fragments = {w.fragment_id for w in touched}
        if len(fragments) == 1 and "" not in fragments:
            rerun.fragment_id = fragments.pop()
        started = time.perf_counter()
        await self._ws.send(message.SerializeToString())
        return await asyncio.wait_for(self._read_until_finished(started), timeout)

    async def _read_until_finished(self, started: float) -> RunResult:
        result = RunResult(0.0)
        errors: list[str] = []
        while True:
            data = await self._ws.recv()
            msg = ForwardMsg()
            msg.ParseFromString(data)
            result.messages += 1
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                # A full run starts the page afresh; a fragment run keeps everything outside it.
                rerunning = set(msg.metadata.run.fragment_ids)
                if rerunning:
                    kept = [w for w in self._page.widgets if w.fragment_id not in rerunning]
                    texts = [
                        (t, f)
                        for t, f in zip(self._page.texts, self._page.text_fragments, strict=True)
                        if f not in rerunning
                    ]
                    result.widgets = kept
                    result.texts = [t for t, _ in texts]
                    result.text_fragments = [f for _, f in texts]
                else:
                    result.widgets, result.texts, result.text_fragments = [], [], []
                result.runs += 1
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                _collect(msg.delta.new_element, result, errors, msg.delta.fragment_id)
            elif kind == "navigation":
                # With st.navigation the page is chosen inside the script; the frontend then keeps
                # asking for that page by its hash (new_session names only the entry script).
                self._page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                errors.append(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolError("the page script failed to compile")
                if msg.script_finished in _DONE:
                    result.seconds = time.perf_counter() - started
                    if errors:
                        raise ProtocolError("; ".join(errors))
                    self._forget_absent(result.widgets)
                    self._page = result
                    return result

    def _forget_absent(self, present: Iterable[Widget]) -> None:
        # The frontend drops the value of a widget that is no longer on the page.
        ids = {w.id for w in present}
        for stale in [wid for wid in self._values if wid not in ids]:
            del self._values[stale]


def _collect(element: Any, result: RunResult, errors: list[str], fragment_id: str = "") -> None:
    kind = element.WhichOneof("type")
    texts_before = len(result.texts)
    if kind == "exception":
        errors.append(f"{element.exception.type}: {element.exception.message}")
    elif kind in _WIDGET_TYPES:
        result.widgets.append(Widget(kind, getattr(element, kind), fragment_id))
    elif kind == "markdown":
        result.texts.append(element.markdown.body)
    elif kind == "heading":
        result.texts.append(element.heading.body)
    elif kind == "alert":
        result.texts.append(element.alert.body)
    elif kind == "html":
        result.texts.append(element.html.body)
    elif kind == "progress":
        result.texts.append(element.progress.text)
    result.text_fragments.extend([fragment_id] * (len(result.texts) - texts_before))


def _state(widget: Widget, value: Any) -> WidgetState:
    state = WidgetState(id=widget.id)
    if widget.kind in ("radio", "selectbox"):
        state.string_value = widget.proto.options[value] if isinstance(value, int) else str(value)
    elif widget.kind == "checkbox":
        state.bool_value = bool(value)
    elif widget.kind in ("text_input", "text_area"):
        state.string_value = str(value)
    else:
        raise ValueError(f"cannot set a value on a {widget.kind}")
    return state


# --- running a real server --------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """``streamlit run <script>`` on a free local port, started from the project folder.

    Started from the project folder so that it reads the same ``.streamlit/config.toml`` as
    production. ``ready_path`` is polled until it answers 200 (``/healthz`` for the course: it
    checks the database; ``/_stcore/health`` for a plain Streamlit script).
    """

    def __init__(
        self,
        script: str,
        *,
        env: Mapping[str, str],
        ready_path: str = "/healthz",
        log: Path | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.script = script
        self.options = dict(options or {})  # extra config, e.g. {"server.fileWatcherType": "none"}
        self.env = dict(env)
        self.ready_path = ready_path
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> AppServer:
        output: Any = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", self.script,
                "--server.headless", "true", "--server.port", str(self.port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                *(arg for name, value in self.options.items() for arg in (f"--{name}", value)),
            ],
            cwd=REPO, env=self.env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if self.log is not None:
            output.close()  # the child has its own copy of the descriptor
        if wait:
            self.wait_ready(timeout)
        return self

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        """(status, body) of a GET; (0, reason) when nothing answers."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError as error:
            return 0, str(error)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.script} exited with code {self.process.returncode} while starting")
            if self.get(self.ready_path, timeout=2)[0] == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.script} did not answer {self.ready_path} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
