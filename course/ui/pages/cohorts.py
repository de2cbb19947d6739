from course.ui.coming_soon import coming_soon

coming_soon("cohorts", "Create cohorts, invite learners and assign modules, cases and the assessment with due dates.")
