from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "minga.activities"
    label = "activities"
    verbose_name = "Collective activities"
