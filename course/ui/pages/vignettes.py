import streamlit as st

from course.permissions import Action
from course.ui import resources, titles, vignette_view
from course.ui.session import guard

user = guard(Action.VIEW_COURSE)
course = resources.content().course
vignette_id = st.query_params.get("id")

if vignette_id is None:
    vignette_view.catalogue(user, course)
elif vignette_id in course.vignettes:
    titles.set_title(course.vignettes[vignette_id].title, "Cases")
    vignette_view.player(user, course, course.vignettes[vignette_id])
else:
    st.error("There is no case at this address.")
    st.page_link("course/ui/pages/vignettes.py", label="See all cases", icon=":material/alt_route:")
