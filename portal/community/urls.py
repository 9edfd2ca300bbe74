from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    # residents
    path("family/", views.my_family, name="my_family"),
    path("family/start/", views.my_record_create, name="my_record_create"),
    path("family/claim/", views.claim_household, name="claim_household"),
    path("family/add/", views.dependent_add, name="dependent_add"),
    path("family/<int:person_id>/", views.person_edit, name="person_edit"),
    path("family/<int:person_id>/consents/", views.consents, name="consents"),
    path("family/<int:person_id>/contacts/", views.emergency_contacts, name="emergency_contacts"),
    path(
        "family/<int:person_id>/contacts/<int:contact_id>/delete/",
        views.emergency_contact_delete,
        name="emergency_contact_delete",
    ),
    path("family/<int:person_id>/health/", views.sensitive_edit, name="sensitive_edit"),
    # staff
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/people/<int:person_id>/", views.workbench_person, name="workbench_person"),
    path("workbench/claims/", views.claims, name="claims"),
    path("workbench/claims/<int:claim_id>/decide/", views.claim_decide, name="claim_decide"),
    # everyone
    path("privacy/", views.privacy_notice, name="privacy_notice"),
]
