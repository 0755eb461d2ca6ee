from django.apps import AppConfig


class ArchitectureConfig(AppConfig):
    name = "minga.architecture"
    label = "architecture"
    verbose_name = "Collective architecture"

    def ready(self) -> None:
        from minga.architecture import bulk  # noqa: F401  (registers the groups and links record types)
