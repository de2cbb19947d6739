from course.ui import public_view, resources

public_view.sample(resources.content().course)
