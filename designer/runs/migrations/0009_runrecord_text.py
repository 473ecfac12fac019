"""A run record's steps and event log as JSON text (no JSON check on each INSERT; decision 0042).

SQLite keeps the text as it was; PostgreSQL turns each jsonb value into its JSON text.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0008_sharedplan"),
    ]

    operations = [
        migrations.AlterField(model_name="runrecord", name="steps", field=models.TextField()),
        migrations.AlterField(model_name="runrecord", name="events", field=models.TextField()),
    ]
