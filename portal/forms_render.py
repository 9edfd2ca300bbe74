"""The portal's one cheap way to render a filter form's field: the markup crispy's bootstrap5 pack writes,
built in Python (issue 13). Used by the list pages of every area (the workbench, the elders' lists, the
youth rosters) through their views: ``crispy_field(form["q"])``, ``crispy_fields(form)``.

``{{ field|as_crispy_field }}`` renders about forty template nodes and the widget's templates for every
field: a few milliseconds a page for a list page's filter form. ``crispy_field`` writes the same markup (the
wrapper, the label, the widget with crispy's classes, the help text) for the simple case a filter form
has, and for the sign-in and sign-up forms of allauth (``templates/allauth/elements/fields.html``): a text,
e-mail or password input or a select (its options written from its choices), required or not, or an optional
checkbox, without errors. Anything else (an error to show, a required checkbox, another widget, a widget with
classes of its own, a select with groups of choices) goes through crispy itself, unchanged.
"""

from __future__ import annotations

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

# crispy's class for each widget (its lowercased class name, then bootstrap's class).
_CLASSES = {
    forms.TextInput: "textinput form-control",
    forms.EmailInput: "emailinput form-control",
    forms.PasswordInput: "passwordinput form-control",
    forms.Select: "select form-select",
    forms.CheckboxInput: "checkboxinput form-check-input",
}


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    out = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def _options(widget: forms.Select, value) -> str | None:
    """The ``<option>`` elements of a single select without groups, as django/forms/widgets/select.html
    writes them (``Select.optgroups``), from the choices themselves: Django builds a dict and a context
    for each option first, the larger part of a filter form with a few selects (issue 13). None where a
    choice is a group: those take Django's way."""
    selected = {str(v) for v in widget.format_value(value)}
    out, has_selected = [], False
    for option_value, label in widget.choices:
        if isinstance(label, list | tuple):
            return None
        text = "" if option_value is None else str(option_value)
        chosen = not has_selected and text in selected
        has_selected |= chosen
        out.append(
            f'\n  <option value="{conditional_escape(text)}"{" selected" if chosen else ""}>'
            f"{conditional_escape(label)}</option>"
        )
    return "".join(out)


def _widget(bound: forms.BoundField, css: str) -> str | None:
    """The widget's markup, or None for a select with groups of choices (crispy writes those)."""
    widget = bound.field.widget
    widget.attrs = {**widget.attrs, "class": css}  # where crispy puts its class: in the widget's attrs
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    if isinstance(widget, forms.Select):
        options = _options(widget, bound.value())
        if options is None:
            return None
        select_attrs = _attrs(widget.build_attrs(widget.attrs, attrs))
        return f'<select name="{conditional_escape(bound.html_name)}"{select_attrs}>{options}\n</select>'
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    value = context["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(context["type"])}" name="{conditional_escape(context["name"])}"'
        f"{shown}{_attrs(context['attrs'])}>"
    )


def _simple(bound: forms.BoundField) -> str | None:
    field, widget = bound.field, bound.field.widget
    css = _CLASSES.get(type(widget))
    if (
        css is None
        or bound.errors
        or not bound.label
        or not bound.auto_id
        or field.show_hidden_initial
        or field.localize
        or "class" in widget.attrs
        or (isinstance(widget, forms.Select) and widget.allow_multiple_selected)
        or (isinstance(widget, forms.CheckboxInput) and (field.required or bound.help_text))
    ):
        return None
    return css


def crispy_field(bound: forms.BoundField) -> SafeString:
    """The markup of ``{{ bound|as_crispy_field }}`` (bootstrap5, no label or field class)."""
    css = _simple(bound)
    if css is None:
        return as_crispy_field(bound)
    widget = _widget(bound, css)
    if widget is None:
        return as_crispy_field(bound)
    if isinstance(bound.field.widget, forms.CheckboxInput):  # an optional box without help text
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}<label for="{}" class="form-check-label">{}</label></div></div>',
            bound.auto_id,
            mark_safe(widget),  # noqa: S308 - every name and value in it is escaped
            bound.id_for_label,
            bound.label,
        )
    help_text = ""
    if bound.help_text:
        help_text = format_html(
            '<div id="{}_helptext" class="form-text">{}</div>',
            bound.auto_id,
            mark_safe(bound.help_text),  # noqa: S308 - the form's own text; crispy writes it with |safe
        )
    if bound.field.required:  # crispy's marks of a required field
        label = format_html(
            '<label for="{}" class="form-label requiredField">{}<span class="asteriskField">*</span></label>',
            bound.id_for_label,
            bound.label,
        )
    else:
        label = format_html('<label for="{}" class="form-label">{}</label>', bound.id_for_label, bound.label)
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}</div>',
        bound.auto_id,
        label,
        mark_safe(widget),  # noqa: S308 - every name and value in it is escaped
        help_text,
    )


def crispy_fields(form: forms.Form) -> dict[str, SafeString]:
    """Every field of the form, by name, as ``crispy_field`` writes it."""
    return {name: crispy_field(form[name]) for name in form.fields}
