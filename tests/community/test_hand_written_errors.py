"""Hand-written (not crispy) forms show the portal's error summary like crispy forms do: the workbench
search lays out its one field by hand, so the summary is included by hand, linked to the field."""

from django.urls import reverse


def test_a_search_too_long_gets_the_error_summary_and_the_error_next_to_the_field(world, client):
    client.force_login(world.staff)
    response = client.get(reverse("community:workbench"), {"q": "张" * 101})
    page = response.content.decode()
    assert response.context["form"].errors["q"]
    summary = page.split('data-testid="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_q"' in summary
    assert page.index('data-testid="error-summary"') < page.index('role="search"')
    assert (
        'aria-invalid="true"'
        in page.split('id="id_q"')[0].rsplit("<input", 1)[1] + page.split('id="id_q"')[1].split(">")[0]
    )


def test_a_good_search_shows_no_summary(world, client):
    client.force_login(world.staff)
    page = client.get(reverse("community:workbench"), {"q": "zhang"}).content.decode()
    assert 'data-testid="error-summary"' not in page
