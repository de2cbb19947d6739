from course.permissions import Action
from course.ui import progress_view, resources
from course.ui.session import guard

user = guard(Action.VIEW_OWN_PROGRESS)
progress_view.render(resources.store(), user, resources.content().course)
