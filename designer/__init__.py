"""Visual ML pipeline designer: Django project, apps and the framework-free engine."""
