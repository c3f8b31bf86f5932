from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """The project package as an app: the role home pages and seed_demo, which gather from
    every domain app (nothing below imports from here)."""

    name = "practice"
    label = "practice"
    verbose_name = "Practice"
