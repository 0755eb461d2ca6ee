from django.urls import path

app_name = "architecture"
urlpatterns: list = []
