"""Alert latency: from a post being stored to its alert arriving at a webhook.

Starts a local webhook receiver and the real `yuqing scheduler` (the clustering job every
--interval seconds, 30 by default) on a fresh SQLite store, then, for each trial, stores a burst
of posts on a new topic (analysed by the product's pipeline, as a crawl would) and waits for
the alert that names it. Prints each trial's latency and the median, against the 60 s target.
Uses no data from ../shared; everything runs on 127.0.0.1.

    python bench/alert_latency.py [--trials 3] [--interval 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Made-up bursts: (keyword the alert must carry, phrasings residents might use).
TOPICS = [
    (
        "停水",
        [
            "望潮苑小区停水一上午了，什么时候恢复供水",
            "临江区望潮苑停水，供水管道爆管了吗",
            "#望潮苑停水# 停水到中午还没来水",
            "望潮苑停水，老人提水上楼太辛苦",
        ],
    ),
    (
        "燃气",
        [
            "青山大道燃气管道被挖断，闻到很浓的燃气味",
            "青山大道施工挖断燃气管，附近小区停气",
            "#青山大道燃气# 燃气泄漏现场拉了警戒线",
            "燃气味太大了，青山大道附近的店都关门了",
        ],
    ),
    (
        "地铁",
        [
            "云谷地铁站早高峰地铁故障停运，站台挤满了人",
            "地铁二号线故障，云谷站停运半小时",
            "#江澜地铁故障# 地铁停在隧道里二十分钟",
            "云谷地铁站故障停运，上班迟到了",
        ],
    ),
    (
        "电梯",
        [
            "紫荆花园电梯困人，物业半小时才到",
            "紫荆花园3栋电梯又坏了，老人被困",
            "#紫荆花园电梯# 电梯困人事件已经第三次了",
            "紫荆花园电梯故障频发，维保形同虚设",
        ],
    ),
]


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[float, dict]] = []
        self.lock = threading.Lock()


def serve(inbox: Inbox) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with inbox.lock:
                inbox.received.append((time.time(), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--interval", type=int, default=30)
    args = ap.parse_args()
    from analysis.enrich import AnalysisFiles, PostAnalyzer
    from analysis.text import DEPARTMENTS_FILE
    from store.models import Post
    from store.sqlite import SqlitePostStore

    inbox = Inbox()
    server = serve(inbox)
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "sources.yaml").write_text("sources: []\n", "utf-8")
        env = os.environ | {
            "YUQING_DATA_DIR": str(tmp),
            "YUQING_STORE__SQLITE_PATH": str(tmp / "posts.db"),
            "YUQING_DATABASE__URL": f"sqlite:///{tmp}/tracker.db",
            "YUQING_CRAWLER__SOURCES_FILE": str(tmp / "sources.yaml"),
            "YUQING_ANALYSIS__INTERVAL_SECONDS": str(args.interval),
            "YUQING_ALERTS__CHANNELS": json.dumps(
                [{"name": "bench", "kind": "webhook", "url": hook}]
            ),
            "NO_PROXY": "127.0.0.1",
        }
        store = SqlitePostStore(tmp / "posts.db")
        store.count()
        analyzer = PostAnalyzer(
            AnalysisFiles(
                neardup_db=tmp / "neardup.db",
                sentiment_model=None,
                departments_file=DEPARTMENTS_FILE,
                cache_dir=None,
            )
        )
        index = analyzer.index
        log = open(tmp / "scheduler.log", "w")  # noqa: SIM115
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "yuqing", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(args.interval + 5)  # let the scheduler start and run a first, empty pass
            for trial in range(args.trials):
                keyword, phrasings = TOPICS[trial % len(TOPICS)]
                now = datetime.now(UTC)
                posts = [
                    Post.model_validate(
                        {
                            "id": f"lat:{trial}:{i}",
                            "source": "bench",
                            "kind": kind,
                            "text": f"{phrasings[i % len(phrasings)]}（{i}）",
                            "published_at": now - timedelta(minutes=30 - i),
                        }
                    )
                    for i, kind in enumerate(["hotline", "board", "microblog"] * 5)
                ]
                analyzer.enrich(posts)
                seen = len(inbox.received)
                store.upsert(posts)
                stored = time.time()
                deadline = stored + 3 * args.interval + 60
                got = None
                while time.time() < deadline and got is None:
                    time.sleep(0.2)
                    with inbox.lock:
                        for at, body in inbox.received[seen:]:
                            if keyword in body.get("text", ""):
                                got = at
                if got is None:
                    print(
                        f"trial {trial + 1} ({keyword}): no alert within {deadline - stored:.0f} s"
                    )
                    continue
                latencies.append(got - stored)
                print(f"trial {trial + 1} ({keyword}): alert after {got - stored:5.1f} s")
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=30)
            log.close()
            store.close()
            index.close()
            server.shutdown()
    if latencies:
        print(
            f"alert latency: median {statistics.median(latencies):.1f} s, max"
            f" {max(latencies):.1f} s over {len(latencies)} of {args.trials} trials"
            f" (job every {args.interval} s; target under 60 s)"
        )
    return 0 if len(latencies) == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
