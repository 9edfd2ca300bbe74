from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("family/", views.my_family, name="my_family"),
    path("workbench/", views.workbench, name="workbench"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
]
