from course.permissions import Action
from course.ui import resources, teaching_view
from course.ui.session import guard

user = guard(Action.VIEW_COHORTS)
teaching_view.render(resources.store(), user, resources.content().course)
