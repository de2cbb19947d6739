"""The baseline for bench/load.py: the smallest Streamlit page a click can rerun.

One widget and one line of output, no database, no content. Served by its own ``streamlit run``
process with the same ``.streamlit/config.toml`` as the course, so the difference between the two
is what the course's pages cost, not what Streamlit costs.
"""

import streamlit as st

clicks = st.session_state.setdefault("clicks", 0)
if st.button("Click", key="click"):
    clicks = st.session_state["clicks"] = clicks + 1
st.write(f"Clicked {clicks} times")
