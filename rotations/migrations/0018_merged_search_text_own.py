"""An original's searchable text held every duplicate merged into it, so whoever could
search the original found it by a private duplicate's words. Each original's text is
its own again (with its tags, merged ones included)."""

from django.db import migrations


def own_text_again(apps, schema_editor):
    Insight = apps.get_model("rotations", "Insight")
    originals = Insight.objects.filter(
        pk__in=Insight.objects.filter(duplicate_of__isnull=False).values("duplicate_of")
    ).prefetch_related("tags")
    for insight in originals:
        insight.search_text = " ".join(
            part
            for part in (
                insight.title,
                insight.what_happened,
                insight.customer_quote,
                insight.ticket_refs,
                insight.suggested_fix,
                *(t.name for t in insight.tags.all()),
            )
            if part
        )
        insight.save(update_fields=["search_text"])


class Migration(migrations.Migration):
    dependencies = [("rotations", "0017_person_name_one_line")]

    operations = [migrations.RunPython(own_text_again, migrations.RunPython.noop)]
