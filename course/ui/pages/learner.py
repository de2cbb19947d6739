from course.permissions import Action
from course.ui import resources, teaching_view
from course.ui.session import guard

user = guard(Action.VIEW_DASHBOARDS)
teaching_view.learner_page(resources.store(), user, resources.content().course)
