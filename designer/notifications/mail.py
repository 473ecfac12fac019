"""The text of a run's notice: what failed (or that it recovered), who started it, the link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest

from designer.engine.artifacts import clipped
from designer.notifications.models import NoticeKind
from designer.runs.models import Run, StepStatus

ERROR_CHARS = 300  # of a failed step's first error line


def one_line(name: str) -> str:
    """A name as one line: a name with a line break in a subject would make the mail unsendable
    (Django refuses it), and in a body would start lines of its writer's choosing."""
    return " ".join(name.split())


def started_by(run: Run) -> str:
    """Who or what started a run, as the run pages say it (runs/StartedBy.tsx)."""
    origin: dict[str, Any] = run.origin or {}
    if not origin:
        return run.created_by.username if run.created_by else "(deleted user)"
    caller = origin.get("caller", {})
    name = caller.get("name", "")
    who = f"key {name}" if caller.get("kind") == "key" else name
    return f"{who} via endpoint {origin.get('endpoint_name', '')}"


def first_line(error: str) -> str:
    """An error's first non-blank line, cut to ERROR_CHARS (no traceback in a mail)."""
    line = next((text.strip() for text in error.splitlines() if text.strip()), "")
    return clipped(line, ERROR_CHARS)


def failed_steps(run: Run) -> list[str]:
    """Each failed step as `label (key): first error line`, in plan order."""
    labels = {step["key"]: step.get("label") for step in run.plan.get("steps", [])}
    return [
        f"{one_line(labels.get(step.key) or step.module)} ({step.key}): {first_line(step.error)}"
        for step in run.step_list
        if step.status == StepStatus.FAILED
    ]


def link(path: str, request: HttpRequest | None = None) -> str:
    """An absolute link to a page with DESIGNER_PUBLIC_URL, else with the host `request` came
    to (Django checks it against ALLOWED_HOSTS), else the path to open by hand."""
    base = settings.DESIGNER_PUBLIC_URL
    if base:
        return f"{base}{path}"
    return request.build_absolute_uri(path) if request else f"{path} on your Designer server"


def notice(run: Run, kind: str, failed_before: int | None, to: str) -> EmailMessage:
    """The mail telling `to` that `run` failed, or that it succeeded after run `failed_before`."""
    graph = run.graph_version.graph
    pipeline = f'"{one_line(graph.name)}"'
    finished = f"{run.finished_at:%Y-%m-%d %H:%M} UTC" if run.finished_at else "just now"
    if kind == NoticeKind.FAILED:
        subject = f"Pipeline {pipeline} failed (run {run.pk})"
        lines = [f"Run {run.pk} of pipeline {pipeline} failed at {finished}."]
    else:
        subject = f"Pipeline {pipeline} succeeded again (run {run.pk})"
        lines = [
            f"Run {run.pk} of pipeline {pipeline} succeeded at {finished};"
            f" run {failed_before} had failed."
        ]
    lines += [
        "",
        f"Workspace: {one_line(run.workspace.name)}",
        f"Version: {run.graph_version.number}",
        f"Started by: {one_line(started_by(run))}",
    ]
    if kind == NoticeKind.FAILED:
        steps = failed_steps(run)
        if steps:
            lines += ["", "Failed steps:", *(f"  - {step}" for step in steps)]
        elif run.error:
            lines += ["", f"Error: {first_line(run.error)}"]
    lines += [
        "",
        f"Run page: {link(f'/runs/{run.pk}/')}",
        "",
        "You get this mail because you watch this pipeline. To stop, or to choose which runs",
        f"you are told about, use Watch on its runs page: {link(f'/graphs/{graph.pk}/runs/')}",
    ]
    return EmailMessage(subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [to])
