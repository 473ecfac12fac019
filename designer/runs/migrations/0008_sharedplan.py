"""A run's plan stored once per workspace and content (SharedPlan); older runs keep theirs inline."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0007_runrecord_run_stored_inline"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SharedPlan",
            fields=[
                ("digest", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("plan", models.JSONField()),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="workspaces.workspace",
                    ),
                ),
            ],
        ),
        # the field is renamed, its column kept: a run saved before keeps its plan where it is
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="run", old_name="plan", new_name="inline_plan"),
                migrations.AlterField(
                    model_name="run",
                    name="inline_plan",
                    field=models.JSONField(db_column="plan", default=dict),
                ),
            ],
        ),
        migrations.AddField(
            model_name="run",
            name="shared_plan",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="runs.sharedplan",
            ),
        ),
    ]
