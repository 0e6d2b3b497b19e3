"""One clustering pass in a process of its own, as the scheduler's worker runs it: the job built
by `yuqing.wiring.clustering_job` from the settings in the environment. Prints one JSON line:
the pass's result, its wall time and the process's resident memory before and at peak.

    YUQING_...=... python bench/store_worker.py --now 2025-05-07T12:00:00+08:00
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def status_kib(field: str) -> int:
    """A memory line of /proc/self/status (VmRSS, VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise SystemExit(f"/proc/self/status has no {field}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", required=True, help="the pass's clock, ISO 8601 with zone")
    args = parser.parse_args()

    from core.settings import get_settings
    from yuqing.wiring import clustering_job

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Without alert channels each alert is a warning; the figures are what counts.
    logging.getLogger("api.alerts").setLevel(logging.ERROR)
    job = clustering_job(get_settings())
    rss_before = status_kib("VmRSS")
    started = time.perf_counter()
    result = job.run(now=datetime.fromisoformat(args.now))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "scanned": result.scanned,
                "assigned": result.assigned,
                "opened": result.opened,
                "merged": result.merged,
                "flagged": result.flagged,
                "stage_seconds": result.stage_seconds,
                "seconds": seconds,
                "rss_before_kib": rss_before,
                # Linux gives ru_maxrss in KiB.
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "hwm_kib": status_kib("VmHWM"),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
