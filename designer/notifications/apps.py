"""Django app configuration for designer.notifications."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The notifications app: who watches which pipeline, and the mails their runs send."""

    name = "designer.notifications"
    label = "notifications"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from designer.notifications.sender import run_finished, start
        from designer.runs.signals import run_finished as finished

        finished.connect(run_finished, dispatch_uid="notifications.run_finished")
        worker_ready.connect(start, dispatch_uid="notifications.start", weak=False)
