"""The datasets an endpoint grants calls by key: set by editors, checked, backfilled, ungranted.

Which key may read what is tested in `tests/security/test_endpoint_key_datasets.py`.
"""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.activity.models import Action, ActivityEntry
from designer.endpoints.models import Endpoint, Invocation
from designer.runs.models import Dataset
from tests.integration.endpoints.conftest import Published, key_client, wait_call

pytestmark = pytest.mark.django_db(transaction=True)


def register(published: Published, name: str) -> int:
    """A dataset the editor uploads: its id."""
    answer = published.team.client("editor").post(
        f"/api/workspaces/{published.team.workspace.pk}/datasets/",
        {"name": name, "file": SimpleUploadedFile("d.csv", b"a,b\n1,x\n", "text/csv")},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    return int(answer.json()["dataset"]["id"])


def grant(published: Published, names: object) -> dict:
    url = f"/api/endpoints/{published.id}/"
    answer = published.team.client("editor").patch(url, {"key_datasets": names}, "json")
    return {"status": answer.status_code, **answer.json()}


def test_the_list_names_existing_datasets_and_every_unknown_one(published: Published) -> None:
    register(published, "kdl-customers")
    register(published, "kdl-regions")
    assert published.endpoint["key_datasets"] == []

    refused = grant(published, ["kdl-customers", "kdl-nope", "kdl-gone"])
    assert refused["status"] == 400 and refused["code"] == "invalid"
    assert [(i["field"], i["code"], i["message"]) for i in refused["issues"]] == [
        ("key_datasets", "not_found", "there is no dataset named 'kdl-gone'"),
        ("key_datasets", "not_found", "there is no dataset named 'kdl-nope'"),
    ]
    assert Endpoint.objects.get(pk=published.id).key_datasets == []  # nothing half-written

    for wrong in ("kdl-customers", [1, {"a": 2}], None, ["x" * 201]):
        answer = grant(published, wrong)
        assert answer["status"] == 400 and answer["code"] == "invalid", (wrong, answer)
        assert all(i["field"].startswith("key_datasets") for i in answer["issues"]), answer

    kept = grant(published, ["kdl-regions", "kdl-customers", "kdl-regions"])
    assert kept["status"] == 200 and kept["key_datasets"] == ["kdl-customers", "kdl-regions"]
    viewer = published.team.client("viewer").get(f"/api/endpoints/{published.id}/").json()
    assert viewer["key_datasets"] == ["kdl-customers", "kdl-regions"]
    logged = ActivityEntry.objects.filter(action=Action.ENDPOINT_CHANGED).latest("pk")
    assert logged.details["changes"] == {
        "key_datasets": {"from": [], "to": ["kdl-customers", "kdl-regions"]}
    }
    assert grant(published, [])["key_datasets"] == []

    Endpoint.objects.filter(pk=published.id).update(kind="realtime")  # its calls send rows
    realtime = grant(published, ["kdl-customers"])
    assert realtime["status"] == 400 and realtime["issues"][0]["field"] == "key_datasets"


def test_a_deleted_dataset_is_no_longer_granted(published: Published) -> None:
    dataset = register(published, "kdl-once")
    assert grant(published, ["kdl-once"])["status"] == 200
    editor = published.team.client("editor")
    assert editor.delete(f"/api/datasets/{dataset}/").status_code == 204
    assert Endpoint.objects.get(pk=published.id).key_datasets == []
    register(published, "kdl-once")  # a new dataset under the name is not granted with it
    refused = key_client(published.key).post(
        f"/api/endpoints/{published.id}/invoke/",
        {"parameters": {"where": "a > 0"}, "inputs": {"rows": {"dataset": "kdl-once"}}},
        "json",
    )
    assert refused.status_code == 400, refused.json()


def call(client, published: Published, dataset: str | None) -> dict:
    inputs = {"rows": {"dataset": dataset}} if dataset else {}
    answer = client.post(
        f"/api/endpoints/{published.id}/invoke/",
        {"parameters": {"where": "a > 0"}, "inputs": inputs},
        "json",
    )
    assert answer.status_code == 202, answer.json()
    return wait_call(client, answer.json()["id"])


def test_the_migration_grants_what_keys_named_in_past_calls(published: Published) -> None:
    migration = importlib.import_module("designer.endpoints.migrations.0007_endpoint_key_datasets")
    for name in ("kdl-named", "kdl-by-deleted-key", "kdl-by-member", "kdl-deleted-since"):
        register(published, name)
    grant(published, ["kdl-named", "kdl-by-deleted-key", "kdl-deleted-since"])
    key = key_client(published.key)
    call(key, published, "kdl-named")
    call(key, published, "kdl-named")
    gone_key = call(key, published, "kdl-by-deleted-key")
    call(key, published, "kdl-deleted-since")
    call(published.team.client("editor"), published, "kdl-by-member")
    sent = key.post(
        f"/api/endpoints/{published.id}/invoke/",
        {
            "parameters": json.dumps({"where": "a > 0"}),
            "rows": SimpleUploadedFile("rows.csv", b"a,b\n3,z\n", "text/csv"),
        },
        format="multipart",
    )
    own_file = wait_call(key, sent.json()["id"])["inputs"]["rows"]["dataset"]
    call(key, published, own_file)  # a key names its own file by name: no grant needed
    Invocation.objects.filter(pk=gone_key["id"]).update(key=None)  # as for a deleted key
    Dataset.objects.filter(name="kdl-deleted-since").delete()  # with the runs that read it
    Endpoint.objects.update(key_datasets=[])  # as before the migration

    migration.grant_what_keys_named(apps, None)

    # not the member's dataset, not the key's own file, not a dataset the workspace lost
    granted = Endpoint.objects.get(pk=published.id).key_datasets
    assert granted == ["kdl-by-deleted-key", "kdl-named"]
