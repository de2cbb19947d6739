"""Send the browser to one of our own HTTP routes (the cookie handoff, sign-out).

Streamlit has no public call for "navigate the browser to this URL". st.login/st.logout use an
`auth_redirect` forward message that the front end turns into `window.location.href = url`; we
send the same message. Pages also show a plain link, in case the message is ever not honoured.
"""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx


def go_to(url: str) -> bool:
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx.enqueue(msg)
    return True
