"""The runs of earlier calls say which endpoint and caller started them (Run.origin)."""

from django.db import migrations

from designer.endpoints.models import caller_label

BATCH = 500


def runs_name_their_calls(apps, schema_editor):
    Invocation = apps.get_model("endpoints", "Invocation")
    Run = apps.get_model("runs", "Run")
    calls = Invocation.objects.select_related("endpoint", "key", "user").order_by("pk")
    runs = []
    for call in calls.iterator(chunk_size=BATCH):
        origin = {
            "endpoint": call.endpoint_id,
            "endpoint_name": call.endpoint.name,
            "caller": caller_label(call.key, call.schedule_id, call.user),
        }
        runs.append(Run(pk=call.run_id, origin=origin))
        if len(runs) == BATCH:
            Run.objects.bulk_update(runs, ["origin"])
            runs = []
    Run.objects.bulk_update(runs, ["origin"])


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0004_call_time_is_its_runs"),
        ("runs", "0010_run_origin"),
    ]

    operations = [migrations.RunPython(runs_name_their_calls, migrations.RunPython.noop)]
