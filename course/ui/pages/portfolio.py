from course.ui.coming_soon import coming_soon

coming_soon("portfolio", "Your CPD time log, structured reflections, certificate and evidence pack.")
