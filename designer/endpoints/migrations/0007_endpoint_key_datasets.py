"""Endpoints say which registered datasets calls by key may name (Endpoint.key_datasets).

An existing endpoint grants what its keys have named in past calls (decision 0093), so a
working integration goes on working: every registered dataset a call by key named, that the
workspace still has, except the files callers sent (a key reads its own without a grant).
"""

from django.db import migrations, models

BATCH = 500


def by_key(call) -> bool:
    """Whether a call was made by a key, even one deleted since (its run's origin says so)."""
    caller = (call.run.origin or {}).get("caller") or {}
    return call.key_id is not None or caller.get("kind") == "key"


def grant_what_keys_named(apps, schema_editor):
    Invocation = apps.get_model("endpoints", "Invocation")
    Endpoint = apps.get_model("endpoints", "Endpoint")
    Dataset = apps.get_model("runs", "Dataset")
    DatasetVersion = apps.get_model("runs", "DatasetVersion")
    named: dict[int, set[tuple[str, str]]] = {}
    calls = Invocation.objects.select_related("run").exclude(inputs={}).order_by("pk")
    for call in calls.iterator(chunk_size=BATCH):
        if not by_key(call):
            continue
        for given in call.inputs.values():
            if given.get("source") == "dataset":
                named.setdefault(call.endpoint_id, set()).add((given["dataset"], given["version"]))
    for endpoint in Endpoint.objects.filter(pk__in=named).order_by("pk"):
        names = {name for name, _ in named[endpoint.pk]}
        existing = set(
            Dataset.objects.filter(workspace_id=endpoint.workspace_id, name__in=names).values_list(
                "name", flat=True
            )
        )
        sent = set(
            DatasetVersion.objects.filter(
                dataset__workspace_id=endpoint.workspace_id, dataset__name__in=names
            )
            .exclude(origin={})
            .values_list("dataset__name", "digest")
        )
        granted = {name for name, digest in named[endpoint.pk] - sent if name in existing}
        if granted:
            endpoint.key_datasets = sorted(granted)
            endpoint.save(update_fields=["key_datasets"])


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0006_versions_name_the_calls_that_sent_them"),
        ("runs", "0012_run_priority"),
    ]

    operations = [
        migrations.AddField(
            model_name="endpoint", name="key_datasets", field=models.JSONField(default=list)
        ),
        migrations.RunPython(grant_what_keys_named, migrations.RunPython.noop),
    ]
