"""The Celery app for distributed execution (workers on Redis)."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# Redis URLs use kombu's Redis transport with acks that survive a partition (broker_transport.py)
TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = "designer.broker_transport:Transport"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")

app = Celery("designer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
