"""The modules graphs are checked against: the built-in ones plus DESIGNER_MODULE_PATHS.

No DRF or app models here, so the shared-document mapping (shared_doc.py) can use it outside a
configured Django app too (the bench's clients).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings

from designer.engine.registry import Registry
from designer.engine.types import ParamType, PortType
from designer.modules import load_registry


@cache
def module_registry() -> Registry:
    """The built-in modules plus the custom ones under DESIGNER_MODULE_PATHS (loaded once)."""
    return load_registry(settings.DESIGNER_MODULE_PATHS)


@cache
def code_params(module: str) -> frozenset[str]:
    """The names of a module's code params (co-edited as shared text); none if it is unknown."""
    spec = module_registry().get(module)
    if spec is None:
        return frozenset()
    return frozenset(p.name for p in spec.params if p.type is ParamType.CODE)


@cache
def metric_ports(module: str) -> frozenset[str]:
    """The names of a module's outputs of type Metrics; none if it is unknown."""
    spec = module_registry().get(module)
    if spec is None:
        return frozenset()
    return frozenset(p.name for p in spec.outputs if p.type is PortType.METRICS)
