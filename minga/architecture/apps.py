from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "minga.architecture"
    label = "architecture"
    verbose_name = "Collective architecture"
