"""Children and guardians: a guardian's children, their school and grade, health notes, emergency contacts
and authorised pickup persons. Reads only; every child through youth.selectors.access."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.http import Http404
from django.utils import timezone

from portal.community.models import (
    Consent,
    ConsentPurpose,
    EmergencyContact,
    Organization,
    OrganizationKind,
    Person,
    SensitiveProfile,
)
from portal.community.selectors import (
    SENSITIVE_FIELDS,
    has_consent,
    may_see_sensitive,
    phone_shown_to,
    sensitive_access_log,
    sensitive_profile_for,
)

from ..models import ChildProfile, PickupPerson
from .access import child_consent_ok, children_of, children_visible_to_staff, guardians_of
from .collectors import collectors_for


def _allergies_visible_q(viewer) -> Q:
    """The children whose allergies ``viewer`` may see: those whose programme she runs
    (children_visible_to_staff) or whose guardian she is."""
    visible = Q(pk__in=children_visible_to_staff(viewer).values("pk"))
    if not viewer.is_community_staff:
        # Community staff see every child (children_visible_to_staff), her own children among them.
        visible |= Q(pk__in=children_of(viewer).values("pk"))
    return visible


def _allergies_logged(
    *, viewer, allowed: dict[int, str | None], where: str, ip: str | None
) -> dict[int, str]:
    """Log every child in ``allowed`` (``{child id: allergies}`` of the children she may see) once, in one
    insert, and keep those with a recorded allergy."""
    if not allowed:
        return {}
    sensitive_access_log(
        viewer=viewer,
        person_ids=sorted(allowed),
        fields="allergies",
        where=where,
        ip=ip,
    )
    return {pk: allergies for pk, allergies in allowed.items() if allergies}


def allergies_for(*, viewer, child_ids, where: str, ip: str | None = None) -> dict[int, str]:
    """``{child id: allergies}`` for the children among ``child_ids`` whose programme ``viewer`` runs
    (children_visible_to_staff) or whose guardian she is; children without a recorded allergy are left
    out. Every child shown is logged once (one AccessLog row each, in one insert). Two queries whatever
    the number of children (the children she may see, read with their allergies in one LEFT JOIN; the
    log), three for anyone but community staff (her own person record, for her children). Nothing is
    logged for children she may not see."""
    ids = {int(pk) for pk in child_ids}
    if not ids or viewer is None or not viewer.is_authenticated:
        return {}
    allowed = dict(
        Person.objects.filter(pk__in=ids)
        .filter(_allergies_visible_q(viewer))
        .values_list("pk", "sensitive__allergies")
    )
    return _allergies_logged(viewer=viewer, allowed=allowed, where=where, ip=ip)


def with_allergies(queryset, *, viewer, person: str = "person"):
    """``queryset`` (rows pointing at a child through the foreign key ``person``) with what
    :func:`allergies_for` would read, in the same query: ``child_allergies_visible`` (she may see them,
    the same rule) and ``child_allergies``. Pass the rows to :func:`allergies_of_loaded`, which logs. For
    anyone but community staff, building it reads her own person record (for her children), as
    :func:`allergies_for` does."""
    if viewer is None or not viewer.is_authenticated:
        visible = Value(False)
    else:
        visible = Exists(Person.objects.filter(_allergies_visible_q(viewer), pk=OuterRef(f"{person}_id")))
    return queryset.annotate(
        child_allergies_visible=visible, child_allergies=F(f"{person}__sensitive__allergies")
    )


def allergies_of_loaded(
    *, viewer, rows, where: str, ip: str | None = None, person: str = "person"
) -> dict[int, str]:
    """:func:`allergies_for` for rows read through :func:`with_allergies`: the same answer and the same
    log, without a query of its own (the log's insert only)."""
    if viewer is None or not viewer.is_authenticated:
        return {}
    allowed = {
        getattr(row, f"{person}_id"): row.child_allergies for row in rows if row.child_allergies_visible
    }
    return _allergies_logged(viewer=viewer, allowed=allowed, where=where, ip=ip)


# --- the guardian's pages -----------------------------------------------------------------------------


def _today_q(prefix: str = "") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}only_on__isnull": True}) | Q(**{f"{prefix}only_on": today})
    )


def children_rows(*, user) -> list[Person]:
    """Her children for the list: each with ``child_profile`` (and school) loaded, ``has_minor_consent``
    and ``pickup_count`` (those who may collect her today, not counting guardians). Two queries whatever
    the number of children."""
    consent = Consent.objects.active().filter(person_id=OuterRef("pk"), purpose=ConsentPurpose.MINOR)
    rows = list(
        children_of(user)
        .annotate(
            has_minor_consent=Exists(consent),
            pickup_count=Count("pickup_persons", filter=_today_q("pickup_persons__"), distinct=True),
        )
        .order_by("birth_date", "pk")
    )
    profiles = {
        p.person_id: p
        for p in ChildProfile.objects.filter(person_id__in=[c.pk for c in rows]).select_related("school")
    }
    for child in rows:
        child.profile = profiles.get(child.pk)
        child.consent_ok = child.has_minor_consent or not child.needs_guardian_consent
    return rows


def pickup_persons_current(*, child: Person) -> list[PickupPerson]:
    """Who she has authorised, still valid: standing ones, and one-day ones for today or a day ahead."""
    today = timezone.localdate()
    return list(
        PickupPerson.objects.filter(child=child, revoked_at__isnull=True)
        .filter(Q(only_on__isnull=True) | Q(only_on__gte=today))
        .order_by(F("only_on").asc(nulls_first=True), "name", "pk")
    )


@dataclass
class ChildPage:
    child: Person
    profile: ChildProfile | None
    consent_ok: bool
    health_consent: bool
    sensitive: SensitiveProfile
    contacts: list[EmergencyContact] = field(default_factory=list)
    pickups: list[PickupPerson] = field(default_factory=list)
    guardians: list[Person] = field(default_factory=list)
    collectors: list = field(default_factory=list)


def child_page_for_guardian(*, user, child: Person, ip: str | None = None) -> ChildPage:
    """Her child's page: details, health notes (the platform's logged read), emergency contacts, pickup
    persons. ``child`` comes from ``access.child_get_for_guardian``."""
    sensitive = sensitive_profile_for(viewer=user, person=child, where="youth:child", ip=ip)
    return ChildPage(
        child=child,
        profile=ChildProfile.objects.filter(person=child).select_related("school").first(),
        consent_ok=child_consent_ok(child),
        health_consent=has_consent(person=child, purpose=ConsentPurpose.HEALTH),
        sensitive=sensitive,
        contacts=list(EmergencyContact.objects.filter(person=child).order_by("priority", "pk")),
        pickups=pickup_persons_current(child=child),
    )


def child_page_for_staff(*, viewer, child: Person, ip: str | None = None) -> ChildPage:
    """The staff view of a child whose programme she runs (``access.child_get_for_staff``): her guardians
    with their phones as the viewer may see them, who may collect her today, her health notes and
    emergency contacts. Reading them is logged (one AccessLog row per view): through
    ``sensitive_profile_for`` where the platform's roles allow, else (partner staff running her programme,
    whom the youth access rule lets see it) through ``sensitive_access_log``."""
    where = "youth:staff_child"
    if may_see_sensitive(viewer=viewer, person=child):
        sensitive = sensitive_profile_for(viewer=viewer, person=child, where=where, ip=ip)
    else:
        sensitive_access_log(
            viewer=viewer, persons=[child], fields=",".join(SENSITIVE_FIELDS), where=where, ip=ip
        )
        sensitive = SensitiveProfile.objects.filter(person=child).first() or SensitiveProfile(person=child)
    guardians = guardians_of(child)
    for g in guardians:
        g.phone_shown = phone_shown_to(viewer=viewer, person=g) or (
            phone_shown_to(viewer=viewer, person=Person(phone=g.user.phone))
            if g.user_id and g.user.phone
            else ""
        )
    return ChildPage(
        child=child,
        profile=ChildProfile.objects.filter(person=child).select_related("school").first(),
        consent_ok=child_consent_ok(child),
        health_consent=has_consent(person=child, purpose=ConsentPurpose.HEALTH),
        sensitive=sensitive,
        contacts=list(EmergencyContact.objects.filter(person=child).order_by("priority", "pk")),
        guardians=guardians,
        collectors=collectors_for(child_ids=[child.pk]).get(child.pk, []),
    )


def photo_pickup_get(*, user, pickup_id) -> PickupPerson:
    """A pickup person whose photo ``user`` may see: the child's guardian, or staff running her
    programme. 404 for anyone else, a bad id, or no photo."""
    try:
        pk = int(pickup_id)
    except (TypeError, ValueError):
        raise Http404 from None
    visible = Q(child__in=children_of(user).values("pk")) | Q(
        child__in=children_visible_to_staff(user).values("pk")
    )
    found = PickupPerson.objects.filter(pk=pk).filter(visible).exclude(photo="").first()
    if found is None:
        raise Http404
    return found


def pickup_get_for_guardian(*, user, pickup_id) -> PickupPerson:
    try:
        return PickupPerson.objects.select_related("child").get(
            pk=int(pickup_id), child__in=children_of(user).values("pk")
        )
    except (PickupPerson.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def contact_get_for_guardian(*, user, child: Person, contact_id) -> EmergencyContact:
    try:
        return EmergencyContact.objects.select_related("person").get(pk=int(contact_id), person=child)
    except (EmergencyContact.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def schools() -> list[Organization]:
    return list(Organization.objects.filter(kind=OrganizationKind.SCHOOL, is_active=True).order_by("name"))
