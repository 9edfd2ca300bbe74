from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("hours/", views.my_hours, name="my_hours"),
    path("hours/certificate.pdf", views.hours_certificate, name="hours_certificate"),
    path("hours/pending/", views.hours_pending, name="hours_pending"),
    path("hours/pending/approve/", views.hours_approve_bulk_view, name="hours_approve_bulk"),
    path("hours/<int:entry_id>/approve/", views.hours_approve_view, name="hours_approve"),
    path("hours/<int:entry_id>/reject/", views.hours_reject_view, name="hours_reject"),
    path("certificates/verify/", views.certificate_verify, name="certificate_verify"),
]
