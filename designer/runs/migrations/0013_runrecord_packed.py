"""RunRecord's steps and events as packed JSON (runs/packed.py, decision 0112), not text."""

import zlib

from django.db import migrations, models

LEVEL = 1  # runs/packed.py's level, written out: a migration must not change with the code


def pack_records(apps, schema_editor):
    """Every record's JSON text, packed into the new columns."""
    records = apps.get_model("runs", "RunRecord")
    for record in records.objects.only("pk", "steps_text", "events_text").iterator(chunk_size=100):
        record.steps = zlib.compress(record.steps_text.encode(), LEVEL)
        record.events = zlib.compress(record.events_text.encode(), LEVEL)
        record.save(update_fields=["steps", "events"])


def unpack_records(apps, schema_editor):
    """Every record's packed columns, as the JSON text the old columns held."""
    records = apps.get_model("runs", "RunRecord")
    for record in records.objects.only("pk", "steps", "events").iterator(chunk_size=100):
        record.steps_text = zlib.decompress(record.steps).decode()
        record.events_text = zlib.decompress(record.events).decode()
        record.save(update_fields=["steps_text", "events_text"])


class Migration(migrations.Migration):
    dependencies = [("runs", "0012_run_priority")]

    operations = [
        migrations.RenameField("runrecord", "steps", "steps_text"),
        migrations.RenameField("runrecord", "events", "events_text"),
        migrations.AddField("runrecord", "steps", models.BinaryField(default=b"")),
        migrations.AddField("runrecord", "events", models.BinaryField(default=b"")),
        migrations.RunPython(pack_records, unpack_records),
        # defaults, so that going back can add the text columns to a table that has rows
        migrations.AlterField("runrecord", "steps_text", models.TextField(default="")),
        migrations.AlterField("runrecord", "events_text", models.TextField(default="")),
        migrations.RemoveField("runrecord", "steps_text"),
        migrations.RemoveField("runrecord", "events_text"),
        migrations.AlterField("runrecord", "steps", models.BinaryField()),
        migrations.AlterField("runrecord", "events", models.BinaryField()),
    ]
