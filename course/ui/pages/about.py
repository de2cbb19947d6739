from course.ui import public_view, resources

public_view.course_page(resources.content().course)
