from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "minga.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from minga.people import bulk, bulk_memberships  # noqa: F401  (register the people record types)
