"""Lets the benchmark compare channel layer backends: DESIGNER_CHANNEL_BACKEND overrides it."""

from __future__ import annotations

import os

import django
from django.conf import settings

ENV = "DESIGNER_CHANNEL_BACKEND"


def apply_layer_override() -> None:
    """Swap the default channel layer's BACKEND class (same CONFIG) when ENV names one."""
    backend = os.environ.get(ENV, "")
    if not backend:
        return
    django.setup()
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["BACKEND"] = backend
    settings.CHANNEL_LAYERS = {**settings.CHANNEL_LAYERS, "default": layer}
