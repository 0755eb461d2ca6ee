from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "minga.measurement"
    label = "measurement"
    verbose_name = "Shared measurement"

    def ready(self) -> None:
        from minga.measurement import bulk  # noqa: F401  (register the "datavalues" record type)
