"""ASGI entry point: HTTP goes to Django, WebSockets to the realtime consumers."""

import gc
import os

from designer.request_threads import http_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
django_asgi_app = http_application()  # Django's ASGI handler, run as request_threads.py says

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from designer.daphne_requests import adapt_daphne  # noqa: E402
from designer.realtime.auth import TokenOrSessionAuthMiddlewareStack  # noqa: E402
from designer.realtime.frames import FrameWriterMiddleware, direct_writes  # noqa: E402
from designer.realtime.origin import SameOriginValidator  # noqa: E402
from designer.realtime.routing import websocket_urlpatterns  # noqa: E402

if settings.DESIGNER_RUNNER == "celery":
    # Runs are handed to Celery from this process: its tasks must send through the configured
    # app (broker = REDIS_URL), not Celery's unconfigured default app.
    import designer.celery  # noqa: F401

if settings.DESIGNER_RUNNER != "celery":
    from designer.runs.coordinator import start_in_background

    start_in_background()

if settings.DESIGNER_SCHEDULER == "embedded":
    from designer.endpoints.background import start_embedded

    start_embedded()

if settings.DESIGNER_SCORING_PROCESS == "embedded":
    from designer.endpoints.background import start_scoring_process

    start_scoring_process()

from designer.notifications.sender import start as start_notices  # noqa: E402

start_notices()  # mails failures an earlier server process finished but had not told

adapt_daphne()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": FrameWriterMiddleware(
            SameOriginValidator(
                TokenOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
            direct=direct_writes(settings.DESIGNER_FRAME_WRITER),
        ),
    }
)

# Everything loaded so far (Django, the apps, the protocol models) lives as long as the process:
# keep it out of the cyclic collector's full passes, which otherwise traverse it every time
# (a full collection of it took 220 ms on the benchmark machine; decision 0009).
gc.freeze()
