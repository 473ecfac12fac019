"""Whether the Python packages a module's spec requires are installed where its step runs."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement

from designer.engine.context import StepError


def invalid(requirement: str) -> str | None:
    """Why `requirement` is not a valid requirement string (PEP 508), or None."""
    try:
        Requirement(requirement)
    except InvalidRequirement as exc:
        return str(exc)
    return None


@cache
def unmet(requirement: str) -> str | None:
    """Why `requirement` is not met in this Python environment, or None when it is."""
    try:
        wanted = Requirement(requirement)
    except InvalidRequirement as exc:
        return f"`{requirement}` is not a valid requirement ({exc})"
    if wanted.marker is not None and not wanted.marker.evaluate():
        return None  # not meant for this platform or Python
    try:
        version = metadata.version(wanted.name)
    except metadata.PackageNotFoundError:
        return f"`{requirement}` is not installed"
    if not wanted.specifier.contains(version, prereleases=True):
        return f"`{requirement}` is required, but {wanted.name} {version} is installed"
    return None


def check(requirements: Iterable[str]) -> None:
    """Raise a StepError naming every requirement this environment does not meet."""
    problems = [problem for r in requirements if (problem := unmet(r)) is not None]
    if problems:
        raise StepError(
            "this module needs Python packages its worker does not have: "
            + "; ".join(problems)
            + ". Install them where the steps run, or give the module an image that has them."
        )
