"""Pin the container images a plan's steps name to the images those names resolve to now.

A step's cache key covers its environment: with the image ID in it, rebuilding a tag with other
packages makes its steps run again instead of being reused, and the container runs that exact
image even if the tag moves while the run is queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from designer.engine.plan import Plan


def pin_images(plan: Plan, image_id: Callable[[str], str | None]) -> Plan:
    """The plan with every image step's `environment_image_id` set by `image_id(name)`.

    The same plan when no step names an image; a name `image_id` cannot resolve stays unpinned
    (its step then fails when the runner cannot find the image either).
    """
    names = {step.environment_image for step in plan.steps if step.environment_image}
    if not names:
        return plan
    ids = {name: image_id(name) for name in sorted(names)}
    steps = tuple(
        replace(step, environment_image_id=ids[step.environment_image])
        if step.environment_image
        else step
        for step in plan.steps
    )
    return replace(plan, steps=steps)
