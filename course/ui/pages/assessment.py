from course.permissions import Action
from course.ui import assessment_view, resources
from course.ui.session import guard

user = guard(Action.TAKE_ASSESSMENT)
assessment_view.show(user, resources.content().course)
