from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "minga.people"
    label = "people"
    verbose_name = "People"
