"""portal.links.pk_url: the URL ``reverse`` gives for each pk, from one ``reverse``."""

from django.urls import reverse

from portal.links import pk_url


def test_the_same_url_as_reverse_for_each_pk():
    url_for = pk_url("community:workbench_person")
    for pk in (1, 42, 987654321987, 10**12 + 7):
        assert url_for(pk) == reverse("community:workbench_person", args=[pk])


def test_the_pk_after_leading_arguments():
    url_for = pk_url("youth:sign_out", 12)
    assert url_for(3) == reverse("youth:sign_out", args=[12, 3])
    assert url_for(12) == reverse("youth:sign_out", args=[12, 12])  # a pk equal to an argument
