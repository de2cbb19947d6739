from course.permissions import Action
from course.ui import dashboards_view, resources
from course.ui.session import guard

user = guard(Action.VIEW_DASHBOARDS)
dashboards_view.render(resources.store(), user, resources.content().course)
