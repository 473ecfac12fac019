"""A separate producer process: `python -m tests.integration.realtime.producer RUN < job.json`.

The job is {"events": [[type, step, data], ...], "pause": seconds between events}.
"""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    """Record the events read from stdin on run RUN and print the result as JSON."""
    django.setup()
    from tests.integration.realtime.layer_override import apply_layer_override

    apply_layer_override()
    from tests.integration.realtime.control import produce

    job = json.load(sys.stdin)
    print(json.dumps(produce(int(sys.argv[1]), job["events"], job.get("pause", 0.0))))


if __name__ == "__main__":
    main()
