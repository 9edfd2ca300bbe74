"""The youth area's part of the platform's privacy rules (found by portal.community.privacy_hooks).

* ``erase_minor``: the guardian withdrew her consent to keeping a child's information for a child under 14
  (PIPL art. 31/47): what is kept beyond her name and age goes, in the transaction of the withdrawal: her
  school and grade, her authorised pickup persons (their photos deleted from storage once the withdrawal
  commits) and her emergency contacts. (Her health notes are the platform's, erased by it.) The record of
  past pickup attempts stays: it is the community's safety record of who took a child, not her details.
"""

from __future__ import annotations

from django.db import transaction


def erase_minor(*, person) -> None:
    from portal.community.models import EmergencyContact
    from youth.models import ChildProfile, PickupPerson

    ChildProfile.objects.filter(person_id=person.pk).delete()
    people = PickupPerson.objects.filter(child_id=person.pk)
    photos = [(p.photo.storage, p.photo.name) for p in people if p.photo]
    people.delete()
    EmergencyContact.objects.filter(person_id=person.pk).delete()

    def delete_files():
        for storage, name in photos:
            storage.delete(name)

    transaction.on_commit(delete_files)
