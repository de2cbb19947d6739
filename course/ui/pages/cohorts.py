from course.permissions import Action
from course.ui import cohorts_view, resources
from course.ui.session import guard

user = guard(Action.MANAGE_COHORTS)
cohorts_view.render(resources.store(), user, resources.content().course)
