"""Published pipelines: endpoints with versions, invocation keys, calls and schedules."""
