from course.ui.forms import sign_up_page

sign_up_page()
