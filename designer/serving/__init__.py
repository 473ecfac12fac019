"""Real-time scoring: inference graphs derived from runs, compiled once into in-memory scorers
and served by a dedicated process. Framework-free: no Django, DRF, Channels or Celery."""
