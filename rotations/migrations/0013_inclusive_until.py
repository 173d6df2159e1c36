"""Rules saved with a date-only UNTIL (UNTIL=20270630) left out that day's shift; rules are
now saved with the day included (T235959), as the pattern form always wrote them. The beat
adds the day's shift, if it is still ahead."""

import re

from django.db import migrations

DATE_ONLY_UNTIL = re.compile(r"(UNTIL=\d{8})(?=;|$)")


def include_the_last_day(apps, schema_editor):
    ShiftPattern = apps.get_model("rotations", "ShiftPattern")
    for pattern in ShiftPattern.objects.filter(rrule__regex=r"UNTIL=[0-9]{8}(;|$)"):
        pattern.rrule = DATE_ONLY_UNTIL.sub(r"\1T235959", pattern.rrule)
        pattern.save(update_fields=["rrule"])


class Migration(migrations.Migration):
    dependencies = [("rotations", "0012_queue_field_bounds")]

    operations = [migrations.RunPython(include_the_last_day, migrations.RunPython.noop)]
