from course.permissions import Action
from course.ui import resources
from course.ui.flashcards_view import show_flashcards
from course.ui.session import guard

user = guard(Action.VIEW_COURSE)
show_flashcards(user, resources.content().course)
