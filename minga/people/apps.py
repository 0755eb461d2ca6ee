from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "minga.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from minga.people import bulk  # noqa: F401  (registers the people record types)
