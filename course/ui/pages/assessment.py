from course.ui.coming_soon import coming_soon

coming_soon(
    "assessment",
    "A scored assessment with feedback for every option, a pass mark, attempts and a review.",
)
