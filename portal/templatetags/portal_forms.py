"""``{{ field|crispy_field }}``: a bound field as crispy's bootstrap5 pack writes it, built in Python where
the field is simple (``portal.forms_render``), through crispy otherwise."""

from django import template

from portal.forms_render import crispy_field as _crispy_field

register = template.Library()


@register.filter
def crispy_field(bound):
    return _crispy_field(bound)
