from course.ui import password_view

password_view.reset()
