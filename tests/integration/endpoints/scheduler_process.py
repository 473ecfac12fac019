"""A scheduler process on an injected clock, for the exactly-once test.

`python -m tests.integration.endpoints.scheduler_process START STEP COUNT GO_FILE`: waits for
GO_FILE to exist (so the processes start together), then ticks the real scheduler at
START, START+STEP, … (COUNT ticks; seconds) and prints the fire times it made as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import django


def main() -> None:
    start, step, count, go = sys.argv[1:5]
    django.setup()
    from designer.endpoints.scheduler import tick

    while not Path(go).exists():
        time.sleep(0.01)
    now = datetime.fromisoformat(start)
    made = []
    for _ in range(int(count)):
        made += [claim.fire_time.isoformat() for claim in tick(now)]
        now += timedelta(seconds=float(step))
    print(json.dumps(made))


if __name__ == "__main__":
    main()
