from django.urls import path

from . import views

app_name = "holidays"

urlpatterns = [
    path("", views.year_list, name="years"),
    path("add/", views.year_add, name="year_add"),
    path("<int:year>/", views.year_detail, name="year"),
    path("<int:year>/<slug:festival>/", views.holiday_edit, name="holiday_edit"),
    path("<int:year>/<slug:festival>/remove/", views.holiday_remove, name="holiday_remove"),
]
