from course.ui.coming_soon import coming_soon

coming_soon(
    "dashboards",
    "Completion, overdue work, score distributions, item analysis and anonymised case routes for your cohorts.",
)
