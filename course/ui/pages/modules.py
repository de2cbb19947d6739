import streamlit as st

from course.permissions import Action
from course.ui import module_view, resources, titles
from course.ui.session import guard

user = guard(Action.VIEW_COURSE)
course = resources.content().course
module_id = st.query_params.get("id")

if module_id is None:
    module_view.catalogue(user, course)
elif module_id in course.modules:
    titles.set_title(course.modules[module_id].meta.title, "Modules")
    module_view.reader(user, course, course.modules[module_id])
else:
    st.error("There is no module at this address.")
    st.page_link("course/ui/pages/modules.py", label="See all modules", icon=":material/menu_book:")
