from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "minga.activities"
    label = "activities"
    verbose_name = "Collective activities"

    def ready(self) -> None:
        from minga.activities import bulk  # noqa: F401  (register the activities record types)
