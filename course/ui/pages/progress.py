import pandas as pd
import streamlit as st

from course import progress
from course.permissions import Action
from course.ui import resources
from course.ui.session import guard

user = guard(Action.VIEW_OWN_PROGRESS)
course = resources.content().course
done = progress.module_status(resources.store(), user, user.id)

st.title("Your progress")
total = len(course.modules)
st.metric("Modules complete", f"{len(done)} / {total}")
table = pd.DataFrame(
    [
        {
            "Module": module.meta.title,
            "Minutes": module.meta.minutes,
            "Status": "Complete" if module.id in done else "Not yet",
            "Completed": done[module.id].strftime("%d %b %Y") if module.id in done else "",
        }
        for module in course.modules.values()
    ]
)
st.dataframe(table, hide_index=True, width="stretch")
st.caption("Charts of scores, time and per-concept mastery arrive with the progress dashboards.")
