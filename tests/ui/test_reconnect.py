"""The first script-run request on each websocket runs the whole page (course/ui/reconnect.py).

A tab that reconnects to a process which never knew its session may ask for a fragment run first;
the new session has no such fragment, so Streamlit would skip the click. The middleware turns that
first request into a full run (which then reloads the page); everything after it passes unchanged.
The browser side (a killed process, the page reloading) is tests/browser/test_behind_nginx.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg

from course.ui.reconnect import FullFirstRun, full_run_request


def rerun(fragment_id: str = "", query: str = "id=first") -> bytes:
    message = BackMsg()
    message.rerun_script.query_string = query
    message.rerun_script.fragment_id = fragment_id
    return bytes(message.SerializeToString())


def parsed(data: bytes) -> BackMsg:
    message = BackMsg()
    message.ParseFromString(data)
    return message


def test_a_fragment_run_request_becomes_a_full_run_with_everything_else_kept() -> None:
    changed, was_rerun = full_run_request(rerun("fragment-1"))
    assert was_rerun
    assert parsed(changed).rerun_script.fragment_id == ""
    assert parsed(changed).rerun_script.query_string == "id=first"


def test_other_messages_pass_unchanged() -> None:
    full = rerun()
    assert full_run_request(full) == (full, True)
    other = BackMsg()
    other.load_git_info = True
    data = bytes(other.SerializeToString())
    assert full_run_request(data) == (data, False)
    assert full_run_request(b"\xff not a protobuf") == (b"\xff not a protobuf", False)


def drive(path: str, frames: list[bytes]) -> list[bytes]:
    """What the wrapped app receives when a client sends `frames` on a websocket at `path`."""
    incoming: list[dict[str, Any]] = [{"type": "websocket.connect"}]
    incoming += [{"type": "websocket.receive", "bytes": frame} for frame in frames]
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for _ in incoming:
            message = await receive()
            if message["type"] == "websocket.receive":
                seen.append(message["bytes"])

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: Any) -> None:
        return None

    queue = list(incoming)
    asyncio.run(FullFirstRun(app)({"type": "websocket", "path": path}, receive, send))
    return seen


def test_only_the_first_run_request_of_a_connection_is_changed() -> None:
    git = BackMsg()
    git.load_git_info = True
    frames = [bytes(git.SerializeToString()), rerun("fragment-1"), rerun("fragment-2")]
    seen = drive("/_stcore/stream", frames)
    assert seen[0] == frames[0]
    assert parsed(seen[1]).rerun_script.fragment_id == ""
    assert seen[2] == frames[2]  # later fragment runs are the session's own: untouched


def test_other_paths_are_not_touched() -> None:
    frames = [rerun("fragment-1")]
    assert drive("/some/other/socket", frames) == frames
