"""Runners execute step tasks somewhere else: warm local worker processes (local), later Celery
and Docker. The executor talks to them only through runners.base.Runner."""

from designer.engine.runners.base import Runner, RunnerMessage

__all__ = ["Runner", "RunnerMessage"]
