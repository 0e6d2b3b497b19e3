"""Serves the 江澜市 demo site in the foreground: `python -m yuqing.demo.site [--port 8100]`."""

from __future__ import annotations

import argparse
import logging
from datetime import date

from yuqing.demo.site.server import make_server

logger = logging.getLogger("yuqing.demo.site")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m yuqing.demo.site", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD; default today")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(args.host, args.port, today=args.today)
    counts = server.site.visible_counts(server.clock())
    logger.info("visible now: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
