# Dataset lineage: the run step that wrote a version, and the label of a step that read one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0005_run_wake_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="datasetusage",
            name="label",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="datasetversion",
            name="written_by_label",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="datasetversion",
            name="written_by_run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="written_versions",
                to="runs.run",
            ),
        ),
        migrations.AddField(
            model_name="datasetversion",
            name="written_by_step",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
    ]
