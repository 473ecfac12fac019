"""Pipeline endpoints through the HTTP API: publish, call with a key, follow, download.

On the embedded local runner with a file-backed database: calls start real runs through the
same start_run as the canvas; outputs are compared with a canvas run of the same version.
"""

from __future__ import annotations

import importlib
import io
import json
from typing import Any

import pandas as pd
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.endpoints.models import Invocation
from designer.runs import dataset_services
from designer.runs.models import Dataset, DatasetVersion, Run
from tests.integration.endpoints.conftest import Published, key_client, wait_call

pytestmark = pytest.mark.django_db(transaction=True)


def invoke(client, endpoint: int, body=None, **headers):
    return client.post(f"/api/endpoints/{endpoint}/invoke/", body or {}, "json", **headers)


def test_publish_derives_the_interface_from_the_graph(published: Published) -> None:
    version = published.endpoint["versions"][0]
    assert published.endpoint["default_version"] == 1 and version["graph_version"] == 1
    assert version["interface"] == {
        "parameters": {
            "where": {
                "type": "string",
                "default": None,
                "description": "Which rows to keep.",
                "required": True,
            },
            "limit": {"type": "int", "default": 10, "description": "", "required": False},
        },
        "inputs": [{"name": "rows", "node": "input", "title": "Rows", "required": False}],
        "outputs": [{"name": "kept", "node": "output", "port": "dataset", "title": "Kept"}],
    }


def test_a_call_runs_and_its_outputs_equal_a_canvas_run(published: Published) -> None:
    caller = key_client(published.key)
    answer = invoke(caller, published.id, {"parameters": {"where": "a > 0"}})
    assert answer.status_code == 202, answer.json()
    call = answer.json()
    assert answer["Location"] == call["status_url"]
    assert call["websocket_url"].endswith(f"/ws/runs/{call['run']}/")
    assert call["caller"]["kind"] == "key"
    done = wait_call(caller, call["id"])
    assert done["status"] == "succeeded", done
    [output] = done["outputs"]
    assert output["name"] == "kept" and output["rows"] == 2

    editor = published.team.client("editor")
    canvas = editor.post(
        f"/api/graphs/{published.graph}/runs/",
        {"version": 1, "parameters": {"where": "a > 0"}},
        "json",
    ).json()
    step = editor.get(f"/api/runs/{canvas['id']}/").json()
    parquet = editor.get(
        f"/api/runs/{canvas['id']}/steps/output/outputs/dataset/download/"
    ).getvalue()
    expected = pd.read_parquet(io.BytesIO(parquet))
    assert step["steps"][-1]["status"] == "reused"  # the call ran it: the canvas reuses it
    came_from = step["reused_runs"][str(call["run"])]  # who started the run it came from
    assert came_from["created_by"] is None and came_from["origin"]["endpoint_name"] == "scores"
    compared = editor.get(f"/api/runs/{canvas['id']}/compare/{call['run']}/").json()
    assert compared["older"]["origin"]["caller"]["kind"] == "key"  # the call's run came first
    assert compared["newer"]["origin"] is None and compared["newer"]["created_by"] == "editor"

    got_parquet = caller.get(output["urls"]["parquet"]).getvalue()
    assert got_parquet == parquet
    csv = caller.get(output["urls"]["csv"])
    assert csv["Content-Type"].startswith("text/csv")
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(csv.content)), expected)
    rows = json.loads(caller.get(output["urls"]["json"]).content)
    assert rows == [{"a": 1, "b": "x"}, {"a": 3, "b": "z"}]
    assert caller.get(f"/api/invocations/{call['id']}/outputs/kept/?format=xml").status_code == 400


def test_an_unchanged_call_is_served_from_the_cache_in_its_request(published: Published) -> None:
    caller = key_client(published.key)
    first = invoke(caller, published.id, {"parameters": {"where": "a > 1"}}).json()
    assert wait_call(caller, first["id"])["status"] == "succeeded"
    again = invoke(caller, published.id, {"parameters": {"where": "a > 1"}}).json()
    assert again["status"] == "succeeded"  # finished inside the POST: every step reused
    run = Run.objects.get(pk=again["run"])
    assert {step.status for step in run.step_list} == {"reused"}  # stored inline (0038)


def test_a_failed_call_says_which_step_failed_and_why(published: Published) -> None:
    caller = key_client(published.key)
    call = invoke(caller, published.id, {"parameters": {"where": "a >>> 1"}}).json()
    done = wait_call(caller, call["id"])
    assert done["status"] == "failed"
    assert done["error"].startswith("step filter (transform.filter_rows@1) failed: expression:")
    assert "a >>> 1" in done["error"]  # the key cannot read the run: the call says it all
    editor = published.team.client("editor")
    [listed] = editor.get(f"/api/endpoints/{published.id}/invocations/").json()["results"]
    assert listed["error"] == done["error"]  # the endpoint page's call history


def test_a_call_served_in_its_request_started_before_it_finished(published: Published) -> None:
    caller = key_client(published.key)
    body = {"parameters": {"where": "a > 2"}}
    assert wait_call(caller, invoke(caller, published.id, body).json()["id"])
    again = invoke(caller, published.id, body).json()
    assert again["status"] == "succeeded"  # finished inside the POST
    assert again["created_at"] <= again["started_at"] <= again["finished_at"]
    assert again["duration"] >= 0


def test_wrong_and_missing_parameters_are_named_and_nothing_is_queued(
    published: Published,
) -> None:
    caller = key_client(published.key)
    before = (Run.objects.count(), Invocation.objects.count(), Dataset.objects.count())
    answer = invoke(
        caller,
        published.id,
        {"parameters": {"limit": "ten", "extra": 1}, "inputs": {"nope": {"dataset": "x"}}},
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_call"
    fields = {i["field"]: i["code"] for i in body["issues"]}
    assert fields == {
        "parameters.extra": "unknown_parameter",
        "parameters.limit": "wrong_type",
        "parameters.where": "required",
        "inputs.nope": "unknown_input",
    }
    bad_types = invoke(caller, published.id, {"parameters": [1], "extra": True})
    assert bad_types.status_code == 400
    assert {i["field"] for i in bad_types.json()["issues"]} == {"parameters", "extra"}
    assert (Run.objects.count(), Invocation.objects.count(), Dataset.objects.count()) == before


def test_idempotency_key_returns_the_same_call(published: Published) -> None:
    caller = key_client(published.key)
    body = {"parameters": {"where": "a < 0"}}
    first = invoke(caller, published.id, body, HTTP_IDEMPOTENCY_KEY="order-17")
    again = invoke(caller, published.id, body, HTTP_IDEMPOTENCY_KEY="order-17")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    other = invoke(
        caller, published.id, {"parameters": {"where": "a > 5"}}, HTTP_IDEMPOTENCY_KEY="order-17"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Invocation.objects.filter(idempotency_key="order-17").count() == 1
    # another caller's identical key is another call
    editor = published.team.client("editor")
    mine = invoke(editor, published.id, body, HTTP_IDEMPOTENCY_KEY="order-17")
    assert mine.status_code == 202 and mine.json()["id"] != first.json()["id"]


def send_rows(published: Published, csv: bytes) -> dict[str, Any]:
    """A key's call with its rows as a CSV file, once finished."""
    caller = key_client(published.key)
    answer = caller.post(
        f"/api/endpoints/{published.id}/invoke/",
        {
            "parameters": json.dumps({"where": "a > 0"}),
            "rows": SimpleUploadedFile("rows.csv", csv, "text/csv"),
        },
        format="multipart",
    )
    assert answer.status_code == 202, answer.json()
    return wait_call(caller, answer.json()["id"])


def test_inputs_as_a_file_or_a_registered_dataset(published: Published) -> None:
    caller = key_client(published.key)
    call = send_rows(published, b"a,b\n5,p\n-1,q\n6,r\n")
    assert call["inputs"]["rows"]["source"] == "file"
    assert json.loads(caller.get(call["outputs"][0]["urls"]["json"]).content) == [
        {"a": 5, "b": "p"},
        {"a": 6, "b": "r"},
    ]
    # the version the file became says which call sent it (the datasets page shows it)
    editor = published.team.client("editor")
    datasets = editor.get(f"/api/workspaces/{published.team.workspace.pk}/datasets/").json()
    sent = next(d for d in datasets["results"] if d["name"] == call["inputs"]["rows"]["dataset"])
    run = editor.get(f"/api/runs/{call['run']}/").json()
    assert sent["latest"]["sent_by"] == run["origin"]
    assert sent["latest"]["sent_by"]["caller"]["kind"] == "key"
    assert sent["latest"]["created_by"] is None and sent["latest"]["written_by"] is None
    by_name = {"dataset": call["inputs"]["rows"]["dataset"]}
    again = invoke(
        caller, published.id, {"parameters": {"where": "a > 5"}, "inputs": {"rows": by_name}}
    )
    assert again.status_code == 202, again.json()
    assert wait_call(caller, again.json()["id"])["outputs"][0]["rows"] == 1
    missing = invoke(
        caller,
        published.id,
        {"parameters": {"where": "a > 5"}, "inputs": {"rows": {"dataset": "none"}}},
    )
    assert missing.status_code == 400
    assert missing.json()["issues"][0]["field"] == "inputs.rows.dataset"
    broken = caller.post(
        f"/api/endpoints/{published.id}/invoke/",
        {"parameters": "{not json", "rows": SimpleUploadedFile("r.csv", b"")},
        format="multipart",
    )
    assert broken.status_code == 400 and broken.json()["issues"][0]["field"] == "parameters"


def test_a_disabled_endpoint_answers_409_and_a_named_version_can_be_called(
    published: Published,
) -> None:
    editor = published.team.client("editor")
    caller = key_client(published.key)
    off = editor.patch(f"/api/endpoints/{published.id}/", {"enabled": False}, "json")
    assert off.status_code == 200 and off.json()["enabled"] is False
    refused = invoke(caller, published.id, {"parameters": {"where": "a > 0"}})
    assert refused.status_code == 409 and refused.json()["code"] == "endpoint_disabled"
    editor.patch(f"/api/endpoints/{published.id}/", {"enabled": True}, "json")
    second = editor.post(
        f"/api/endpoints/{published.id}/versions/", {"make_default": False}, "json"
    )
    assert second.status_code == 201 and second.json()["number"] == 2
    named = caller.post(
        f"/api/endpoints/{published.id}/versions/2/invoke/",
        {"parameters": {"where": "a>0"}},
        "json",
    )
    assert named.status_code == 202 and named.json()["version"] == 2
    assert (
        caller.post(f"/api/endpoints/{published.id}/versions/9/invoke/", {}, "json").status_code
        == 404
    )
    assert editor.get(f"/api/endpoints/{published.id}/").json()["default_version"] == 1


def test_key_rate_limit_answers_429_with_retry_after(published: Published) -> None:
    editor = published.team.client("editor")
    raw = editor.post(
        f"/api/workspaces/{published.team.workspace.pk}/endpoint-keys/",
        {"name": "slow", "endpoint": published.id, "rate_per_minute": 2},
        "json",
    ).json()["key"]
    caller = key_client(raw)
    codes = [
        invoke(caller, published.id, {"parameters": {"where": "a>9"}}).status_code for _ in range(3)
    ]
    assert codes == [202, 202, 429]
    limited = invoke(caller, published.id, {"parameters": {"where": "a>9"}})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["code"] == "throttled"


def test_revoked_key_is_refused_and_keys_are_listed_by_prefix(published: Published) -> None:
    editor = published.team.client("editor")
    ws = published.team.workspace.pk
    caller = key_client(published.key)
    assert invoke(caller, published.id, {"parameters": {"where": "a>0"}}).status_code == 202
    [listed] = editor.get(f"/api/workspaces/{ws}/endpoint-keys/").json()["results"]
    assert published.key.startswith(listed["prefix"]) and "key" not in listed
    assert listed["last_used_at"] is not None
    assert editor.delete(f"/api/endpoint-keys/{listed['id']}/").status_code == 204
    refused = invoke(caller, published.id, {"parameters": {"where": "a>0"}})
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"


def test_the_endpoint_openapi_document_is_valid_and_matches_what_the_server_does(
    published: Published,
) -> None:
    from openapi_schema_validator import OAS30Validator
    from openapi_schema_validator import validate as validate_instance
    from openapi_spec_validator import validate

    viewer = published.team.client("viewer")
    document = viewer.get(f"/api/endpoints/{published.id}/openapi/").json()
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["Parameters"]["required"] == ["where"]
    assert schemas["Parameters"]["properties"]["limit"] == {"type": "integer", "default": 10}
    assert schemas["Parameters"]["additionalProperties"] is False
    invoke_path = f"/api/endpoints/{published.id}/invoke/"
    multipart = document["paths"][invoke_path]["post"]["requestBody"]["content"][
        "multipart/form-data"
    ]
    assert multipart["schema"]["properties"]["rows"] == {
        "type": "string",
        "format": "binary",
        "description": "Input `Rows`: a CSV or Parquet file.",
    }
    # a real answer and a real error fit the documented bodies
    caller = key_client(published.key)
    answer = invoke(caller, published.id, {"parameters": {"where": "a > 0"}}).json()

    def check(instance, name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        validate_instance(instance, schema, cls=OAS30Validator)

    check(answer, "Invocation")
    check(invoke(caller, published.id, {"parameters": {}}).json(), "Error")
    assert viewer.get(f"/api/endpoints/{published.id}/openapi/?version=7").status_code == 404
    assert viewer.get(f"/api/endpoints/{published.id}/openapi/?version=x").status_code == 400


def test_schedules_through_the_api_name_their_problems(published: Published) -> None:
    editor = published.team.client("editor")
    base = f"/api/endpoints/{published.id}/schedules/"
    bad = editor.post(
        base,
        {"cron": "0 0 * *", "timezone": "Mars/Base", "version": 9, "parameters": {"x": 1}},
        "json",
    )
    assert bad.status_code == 400 and [i["field"] for i in bad.json()["issues"]] == ["version"]
    bad = editor.post(base, {"cron": "0 0 * *", "timezone": "Mars/Base", "parameters": {}}, "json")
    assert sorted(i["field"] for i in bad.json()["issues"]) == [
        "cron",
        "parameters.where",
        "timezone",
    ]
    made = editor.post(
        base,
        {
            "cron": "30 2 * * *",
            "timezone": "Europe/Berlin",
            "version": 1,
            "parameters": {"where": "a > 0"},
        },
        "json",
    )
    assert made.status_code == 201, made.json()
    schedule = made.json()
    assert schedule["version"] == 1 and len(schedule["next_fires"]) == 5
    preview = editor.get(base + "preview/?cron=@hourly&timezone=UTC").json()
    assert len(preview["next"]) == 5
    assert editor.get(base + "preview/?cron=nope").status_code == 400
    paused = editor.patch(f"/api/schedules/{schedule['id']}/", {"enabled": False}, "json")
    assert paused.status_code == 200 and paused.json()["next_fires"] == []
    assert editor.patch(f"/api/schedules/{schedule['id']}/", {}, "json").status_code == 400
    viewer = published.team.client("viewer")
    assert viewer.delete(f"/api/schedules/{schedule['id']}/").status_code == 403


def test_a_published_graph_is_not_deleted_under_its_endpoint(published: Published) -> None:
    editor = published.team.client("editor")
    refused = editor.delete(f"/api/graphs/{published.graph}/")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert refused.json()["detail"] == (
        "It is still used by endpoint scores, endpoint version scores v1; delete those first."
    )
    assert editor.delete(f"/api/endpoints/{published.id}/").status_code == 204
    assert editor.delete(f"/api/graphs/{published.graph}/").status_code == 204


def test_a_multipart_body_without_a_named_part_is_refused_not_read_as_empty(
    published: Published,
) -> None:
    """Found by the contract fuzzer: Django skips a part without a Content-Disposition name, so
    such a body was a call with no parameters (202 for an endpoint that needs none)."""
    caller, url = key_client(published.key), f"/api/endpoints/{published.id}/invoke/"
    kind = "multipart/form-data; boundary=b0undary"
    garbage = caller.generic("POST", url, b"--b0undary\r\nTrue--b0undary--\r\n", kind)
    assert garbage.status_code == 400 and "Content-Disposition" in garbage.content.decode()
    empty = caller.generic("POST", url, b"--b0undary--\r\n", kind)  # a form with no fields
    assert empty.status_code == 400 and "Content-Disposition" not in empty.content.decode()
    assert "where" in empty.content.decode()  # the endpoint's required parameter, named


def test_a_calls_run_says_which_endpoint_and_caller_started_it_and_is_found_by_it(
    published: Published,
) -> None:
    key_call = invoke(key_client(published.key), published.id, {"parameters": {"where": "a > 0"}})
    editor = published.team.client("editor")
    user_call = invoke(editor, published.id, {"parameters": {"where": "a > 1"}})
    canvas = editor.post(
        f"/api/graphs/{published.graph}/runs/",
        {"version": 1, "parameters": {"where": "a > 2"}},
        "json",
    )
    assert canvas.json()["origin"] is None  # the POST's answer: started directly

    listed = editor.get(f"/api/graphs/{published.graph}/runs/").json()["results"]
    origins = {run["id"]: run["origin"] for run in listed}
    endpoint = {"endpoint": published.id, "endpoint_name": published.endpoint["name"]}
    key = user_call.json()["caller"]  # the user's call, as the endpoint's history names it
    assert origins[key_call.json()["run"]] == {
        **endpoint,
        "caller": {"kind": "key", "name": key_call.json()["caller"]["name"]},
    }
    assert key_call.json()["caller"]["name"].startswith("ci (")  # the key's name, prefix
    assert origins[user_call.json()["run"]] == {**endpoint, "caller": key}
    assert key == {"kind": "user", "name": "editor"}
    assert origins[canvas.json()["id"]] is None
    run = editor.get(f"/api/runs/{key_call.json()['run']}/").json()
    assert run["origin"]["caller"]["kind"] == "key" and run["created_by"] is None

    # the workspace's runs, found by what started them and by whom
    runs = f"/api/workspaces/{published.team.workspace.pk}/runs/"

    def found(query: str) -> set[int]:
        return {run["id"] for run in editor.get(runs + query).json()["results"]}

    calls = {key_call.json()["run"], user_call.json()["run"]}
    assert found("?origin=endpoint") == calls
    assert canvas.json()["id"] in found("?origin=direct") and not calls & found("?origin=direct")
    editors = found(f"?user={published.team.users['editor'].pk}")
    assert {user_call.json()["run"], canvas.json()["id"]} <= editors
    assert key_call.json()["run"] not in editors
    assert found(f"?user={published.team.users['editor'].pk}&origin=endpoint") == {
        user_call.json()["run"]
    }
    for wrong in ("?origin=cron", "?user=me"):
        refused = editor.get(runs + wrong)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid", wrong


def test_the_migration_gives_earlier_calls_runs_their_origin(published: Published) -> None:
    migration = importlib.import_module(
        "designer.endpoints.migrations.0005_runs_say_which_call_started_them"
    )
    call = invoke(key_client(published.key), published.id, {"parameters": {"where": "a > 0"}})
    canvas = published.team.client("editor").post(
        f"/api/graphs/{published.graph}/runs/",
        {"version": 1, "parameters": {"where": "a > 2"}},
        "json",
    )
    given = Run.objects.get(pk=call.json()["run"]).origin
    Run.objects.update(origin={})  # as before the migration

    migration.runs_name_their_calls(apps, None)

    assert Run.objects.get(pk=call.json()["run"]).origin == given
    assert given["caller"]["kind"] == "key"
    assert Run.objects.get(pk=canvas.json()["id"]).origin == {}


def test_the_migration_gives_versions_earlier_calls_sent_their_origin(
    published: Published,
) -> None:
    migration = importlib.import_module(
        "designer.endpoints.migrations.0006_versions_name_the_calls_that_sent_them"
    )
    call = send_rows(published, b"a,b\n7,s\n")
    sent = DatasetVersion.objects.get(digest=call["inputs"]["rows"]["version"])
    member_upload = published.team.client("editor").post(
        f"/api/workspaces/{published.team.workspace.pk}/datasets/",
        {"name": "uploaded", "file": SimpleUploadedFile("u.csv", b"a,b\n1,x\n", "text/csv")},
        format="multipart",
    )
    assert member_upload.status_code == 201, member_upload.json()
    uploaded = DatasetVersion.objects.get(dataset__name="uploaded")
    given = sent.origin
    DatasetVersion.objects.update(origin={})  # as before the migration

    migration.versions_name_their_calls(apps, None)

    assert DatasetVersion.objects.get(pk=sent.pk).origin == given
    assert given == Run.objects.get(pk=call["run"]).origin
    assert DatasetVersion.objects.get(pk=uploaded.pk).origin == {}


def test_a_dataset_a_call_read_or_a_schedule_reads_is_archived_not_deleted(
    published: Published,
) -> None:
    editor = published.team.client("editor")
    upload = SimpleUploadedFile("rows.csv", b"a,b\n5,p\n", "text/csv")
    version = editor.post(
        f"/api/workspaces/{published.team.workspace.id}/datasets/",
        {"name": "nightly-rows", "file": upload},
        format="multipart",
    ).json()
    dataset = {"id": Dataset.objects.get(name="nightly-rows").pk}
    granted = editor.patch(
        f"/api/endpoints/{published.id}/", {"key_datasets": ["nightly-rows"]}, "json"
    )
    assert granted.status_code == 200, granted.json()
    caller = key_client(published.key)
    call = invoke(
        caller,
        published.id,
        {"parameters": {"where": "a > 0"}, "inputs": {"rows": {"dataset": "nightly-rows"}}},
    ).json()
    assert wait_call(caller, call["id"])["status"] == "succeeded"
    nightly = editor.post(
        f"/api/endpoints/{published.id}/schedules/",
        {
            "cron": "0 2 * * *",
            "parameters": {"where": "a > 0"},
            "inputs": {"rows": {"dataset": "nightly-rows"}},
        },
        "json",
    ).json()

    refused = editor.delete(f"/api/datasets/{dataset['id']}/")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "dataset_in_use"
    assert refused.json()["detail"] == (
        f"Dataset 'nightly-rows' was read by runs #{call['run']} and is read by schedule "
        f"{nightly['id']} of endpoint scores; archive it instead (?archive=1) to keep it for them."
    )
    assert refused.json()["readers"] == (  # the same in words for a page, without the query
        f"Dataset 'nightly-rows' was read by runs #{call['run']} and is read by schedule "
        f"{nightly['id']} of endpoint scores."
    )
    assert refused.json()["schedules"] == [nightly["id"]]
    assert refused.json()["runs"] == [call["run"]]  # the call's run read it as its input
    assert Dataset.objects.filter(pk=dataset["id"]).exists()

    assert editor.delete(f"/api/datasets/{dataset['id']}/?archive=1").status_code == 204
    store = dataset_services.store_for(published.team.workspace.id)
    assert store.read("nightly-rows")[1] == version["digest"]  # the schedule reads it

    assert editor.delete(f"/api/schedules/{nightly['id']}/").status_code == 204
    assert editor.delete(f"/api/runs/{call['run']}/").status_code == 204
    assert editor.delete(f"/api/datasets/{dataset['id']}/").status_code == 204
