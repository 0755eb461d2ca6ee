from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "minga.pathways"
    label = "pathways"
    verbose_name = "Collective pathways"
