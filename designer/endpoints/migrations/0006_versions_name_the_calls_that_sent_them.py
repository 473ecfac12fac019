"""The dataset versions earlier calls sent as files say which call sent them
(DatasetVersion.origin, from the call's run's origin)."""

from django.db import migrations

BATCH = 500


def versions_name_their_calls(apps, schema_editor):
    Invocation = apps.get_model("endpoints", "Invocation")
    DatasetVersion = apps.get_model("runs", "DatasetVersion")
    calls = Invocation.objects.select_related("endpoint", "run").order_by("pk")  # first sender
    named = set()
    for call in calls.iterator(chunk_size=BATCH):
        for given in call.inputs.values():
            if given.get("source") != "file" or not call.run.origin:
                continue
            key = (call.endpoint.workspace_id, given["dataset"], given["version"])
            if key in named:
                continue
            named.add(key)
            DatasetVersion.objects.filter(
                dataset__workspace_id=key[0], dataset__name=key[1], digest=key[2], origin={}
            ).update(origin=call.run.origin)


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0005_runs_say_which_call_started_them"),
        ("runs", "0011_datasetversion_origin"),
    ]

    operations = [migrations.RunPython(versions_name_their_calls, migrations.RunPython.noop)]
