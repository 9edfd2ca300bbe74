"""``manage.py demo_totp_code``: the current two-factor code of the demo staff accounts (seed_demo)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.demo import DEMO_TOTP_SECRET, current_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff accounts (development and demo only)."

    def handle(self, *args, **options):
        if not settings.DEBUG and not getattr(settings, "TESTING", False):
            raise CommandError(
                "Only for the demo (DJANGO_DEBUG=true): production accounts have their own secrets."
            )
        self.stdout.write(f"{current_code()}  (secret {DEMO_TOTP_SECRET}, valid for about 30 seconds)")
