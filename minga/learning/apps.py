from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "minga.learning"
    label = "learning"
    verbose_name = "Learning and sharing what works"
