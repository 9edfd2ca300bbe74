"""My visits and calls and the overdue list: the cards and rows built in Python
(``elders.views.outreach._my_contact_cards`` and ``_overdue_rows_html``, issue 13) are the markup the
templates wrote for them (whitespace between tags aside), for every kind of row: overdue, due today, due
later, not reached twice, never contacted, no address, no phone, nobody responsible."""

import datetime
import re

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from ._f_outreach import DAY, community, elder_in, plan_for

pytestmark = pytest.mark.django_db

#: The template's loop before the cards moved to Python.
TEMPLATE = """{% load i18n %}
{% translate "Address" as l_address %}{% translate "Last contact" as l_last %}{% translate "None yet" as l_none %}{% translate "Usually by" as l_by %}{% translate "Log a contact" as l_log %}{% translate "Call" as l_call %}
{% for row in rows %}
  <li class="card mb-2{% if row.overdue %} border-danger{% elif row.due %} border-warning{% endif %}" data-plan="{{ row.plan.pk }}">
    <div class="card-body">
      <h2 class="h5 card-title mb-1">{{ row.elder.name }}{% with age=row.age_words %}{% if age %} <span class="fw-normal">· {{ age }}</span>{% endif %}{% endwith %}</h2>
      <p class="mb-1">{% if row.overdue %}<span class="badge text-bg-danger">{% elif row.due %}<span class="badge text-bg-warning">{% else %}<span class="badge text-bg-light border">{% endif %}{{ row.due_words }}</span>
        {% if row.plan.unreached_in_row %}<span class="badge text-bg-secondary">{% blocktranslate count n=row.plan.unreached_in_row %}Not reached {{ n }} time in a row{% plural %}Not reached {{ n }} times in a row{% endblocktranslate %}</span>{% endif %}
      </p>
      <dl class="outreach-facts mb-2">
        {% if row.elder.household_id %}<dt>{{ l_address }}</dt><dd>{{ row.address }}</dd>{% endif %}
        <dt>{{ l_last }}</dt>
        <dd>{% if row.plan.last_contact_at %}<time datetime="{{ row.plan.last_contact_at|date:'c' }}">{{ row.plan.last_contact_at|date:"Y-m-d H:i" }}</time>{% else %}{{ l_none }}{% endif %}</dd>
        <dt>{{ l_by }}</dt><dd>{{ row.plan.get_method_display }} · {{ row.every_words }}</dd>
      </dl>
      <div class="d-flex flex-wrap gap-2">
        <a class="btn btn-brand" href="{{ row.url }}">{{ l_log }}<span class="visually-hidden"> {{ row.elder.name }}</span></a>
        {% if row.elder.phone %}<a class="btn btn-outline-success" href="tel:{{ row.elder.phone }}"><i class="bi bi-telephone" aria-hidden="true"></i> {{ l_call }}<span class="visually-hidden"> {{ row.elder.name }}</span></a>{% endif %}
      </div>
    </div>
  </li>
{% endfor %}"""


def _norm(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_cards_are_the_templates_markup(client, elders_data, language):
    c = community()
    plan_for(
        elder_in(c.one, name="逾期<b>", phone="+8613800000111"),
        assigned_to=c.volunteer,
        due_on=DAY - datetime.timedelta(days=4),
        unreached_in_row=2,
        last_contact_at=timezone.now() - datetime.timedelta(days=11),
    )
    plan_for(elder_in(c.one, name="今天"), assigned_to=c.volunteer, due_on=DAY, unreached_in_row=1)
    plan_for(
        elder_in(c.one, name="无址", household=None, birth_date=None),
        assigned_to=c.volunteer,
        due_on=DAY + datetime.timedelta(days=1),
    )
    plan_for(elder_in(c.one, name="晚些"), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=6))
    client.force_login(c.volunteer)
    response = client.get(reverse("elders:my_contacts"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    context = response.context
    from django.utils import translation

    with translation.override(translation.get_language_from_request(response.wsgi_request)):
        expected = engines["django"].from_string(TEMPLATE).render({"rows": context["rows"]})
    assert len(context["rows"]) == 4
    assert _norm(context["cards"]) == _norm(expected)
    assert _norm(context["cards"]) in _norm(response.content.decode())


#: The overdue table's loop before the rows moved to Python.
OVERDUE_TEMPLATE = """{% load i18n %}
          {# The cell labels translated once for the table, not once a row (issue 13). #}
          {% translate 'Elder' as l_elder %}{% translate 'Grid' as l_grid %}{% translate 'Due since' as l_due %}{% translate 'Days overdue' as l_late %}{% translate 'Person responsible' as l_who %}{% translate 'Last contact' as l_last %}{% translate 'Not reached in a row' as l_unreached %}{% translate "Nobody" as l_nobody %}{% translate "None yet" as l_none %}
          {% for row in rows %}
            <tr data-plan="{{ row.plan.pk }}">
              <th scope="row" data-label="{{ l_elder }}" class="fw-semibold"><a href="{{ row.url }}">{{ row.elder.name }}</a></th>
              <td data-label="{{ l_grid }}">{{ row.grid_name }}</td>
              <td data-label="{{ l_due }}"><time datetime="{{ row.due_text }}">{{ row.due_text }}</time></td>
              <td data-label="{{ l_late }}" data-testid="days-overdue">{{ row.days_late }}</td>
              <td data-label="{{ l_who }}">{% if row.plan.assigned_to_id %}{{ row.assignee_name }}{% else %}<span class="text-danger">{{ l_nobody }}</span>{% endif %}</td>
              <td data-label="{{ l_last }}">{% if row.plan.last_contact_at %}{{ row.plan.last_contact_at|date:"Y-m-d" }}{% else %}{{ l_none }}{% endif %}</td>
              <td data-label="{{ l_unreached }}">{% if row.plan.unreached_in_row >= 2 %}<span class="badge text-bg-danger">{{ row.plan.unreached_in_row }}</span>{% else %}{{ row.plan.unreached_in_row }}{% endif %}</td>
            </tr>
          {% endfor %}
"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_overdue_rows_are_the_templates_markup(client, elders_data, language):
    from django.utils import translation

    c = community()
    plan_for(
        elder_in(c.one, name="逾期<b>"),
        assigned_to=c.volunteer,
        due_on=DAY - datetime.timedelta(days=4),
        unreached_in_row=2,
        last_contact_at=timezone.now() - datetime.timedelta(days=11),
    )
    plan_for(elder_in(c.one, name="没人管"), due_on=DAY - datetime.timedelta(days=1), unreached_in_row=1)
    plan_for(
        elder_in(c.two, name="无址", household=None),
        assigned_to=c.two.worker,
        due_on=DAY - datetime.timedelta(days=2),
    )
    client.force_login(c.staff)
    response = client.get(reverse("elders:overdue"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 3
    with translation.override(translation.get_language_from_request(response.wsgi_request)):
        expected = engines["django"].from_string(OVERDUE_TEMPLATE).render({"rows": rows})
    assert _norm(response.context["rows_html"]) == _norm(expected)
    assert _norm(response.context["rows_html"]) in _norm(response.content.decode())
