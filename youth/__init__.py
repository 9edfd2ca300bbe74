"""Youth (一小): children and guardians, the holiday day-care with safe pickup, holiday classes and parenting
lectures (issue 12). See youth/models.py."""
