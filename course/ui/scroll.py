"""Put the learner where the news is: scroll the page so a just-drawn place is at the top of the view.

Streamlit keeps the browser's scroll position across reruns, so after Submit at the foot of a
twenty-question paper the result banner is drawn far above the view, and after Decide at the foot
of a case step the new step starts above the fold. Streamlit 1.67 has no scrolling command; its
documented way to run a script in the page is ``st.html(..., unsafe_allow_javascript=True)``, whose
front end re-inserts the ``<script>`` each time the element's body changes (and only then). So
each request carries a fresh number: it scrolls once, when asked, and never again on later reruns
that redraw the same screen.
"""

from __future__ import annotations

import streamlit as st

_COUNTER = "_scroll_requests"

# The mark is the script's own element. Its top margin leaves room for Streamlit's fixed header
# (3.75rem) so the news is not drawn under it. `behavior: "instant"` also suits reduced motion.
_SCRIPT = """<script data-scroll-request="{number}">
(() => {{
  const mark = document.currentScript && document.currentScript.closest('[data-testid="stElementContainer"]');
  if (!mark) return;
  mark.style.scrollMarginTop = "4.5rem";
  const go = () => mark.scrollIntoView({{block: "start", behavior: "instant"}});
  requestAnimationFrame(() => requestAnimationFrame(go));
}})();
</script>"""


def request_scroll(flag: str) -> None:
    """Ask that the next run which calls ``scroll_here(flag)`` brings that place into view.

    Call it where the action happens (a button's callback, before ``st.rerun``).
    """
    st.session_state[f"_scroll-{flag}"] = True


def scroll_here(flag: str) -> None:
    """If `request_scroll(flag)` was called since the last time, scroll so this place is at the top
    of the view (once: the request is used up). Draws nothing visible either way."""
    if not st.session_state.pop(f"_scroll-{flag}", False):
        return
    number = st.session_state.get(_COUNTER, 0) + 1
    st.session_state[_COUNTER] = number
    st.html(_SCRIPT.format(number=number), unsafe_allow_javascript=True)
