from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "minga.measurement"
    label = "measurement"
    verbose_name = "Shared measurement"
