"""Load the holidays and make-up working days chinesecalendar knows (after upgrading it, for its new year).

python manage.py holidays_seed              # the years not held yet
python manage.py holidays_seed --year 2027  # only that year
python manage.py holidays_seed --overwrite  # also replace years held (staff corrections are lost)
"""

from django.core.management.base import BaseCommand

from portal.holidays.services import holidays_seed, library_years


class Command(BaseCommand):
    help = "Copy chinesecalendar's public holidays and make-up working days into the portal's calendar."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="only this year (repeatable)"
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="replace the years already held (staff entries too)"
        )

    def handle(self, *args, years=None, overwrite=False, **options):
        known = library_years()
        written = holidays_seed(years=years, overwrite=overwrite)
        self.stdout.write(
            f"chinesecalendar knows {known[0]}-{known[-1]}; written: {', '.join(map(str, written)) or 'none'}"
        )
