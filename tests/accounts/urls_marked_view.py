"""A URLconf with one view marked ``@shows_personal_data`` (tests/accounts/test_security.py)."""

from django.http import HttpResponse
from django.urls import include, path

from portal.accounts.middleware import shows_personal_data


@shows_personal_data
def elder_care_plan(request):
    return HttpResponse("care plan")


urlpatterns = [
    path("care-plan/", elder_care_plan, name="care_plan"),
    path("", include("portal.urls")),
]
