"""Alert latency: from a post being stored to its alert arriving at a webhook.

Starts a local webhook receiver and the real `yuqing scheduler` (the clustering job every
--interval seconds, 30 by default) on a fresh store and tracker, then, for each trial, stores a
burst of posts on a new topic and waits for the alert that names it. The posts are analysed
and written as a crawl writes them (`PostWriter`), which nudges the clustering job: NOTIFY on
PostgreSQL (--db-url), a polled stamp on SQLite. The reference, measured in the same run, is
the same burst stored without the nudge, which waits for the job's interval.

Prints each trial's latency, then the median and max of each, against the 10 s target.
Uses no data from ../shared; everything runs on 127.0.0.1.

    python bench/alert_latency.py [--trials 4] [--interval 30] [--db-url postgresql+psycopg://...]
        [--es-url http://127.0.0.1:9200]
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
            "云谷地铁站早高峰故障停运，几千人滞留站台，没人出来解释，太气人了",
            "地铁二号线又故障，云谷站停运一小时，上班全迟到，投诉电话打不通",
            "#江澜地铁故障# 地铁停在隧道里二十分钟，车厢闷热，有老人晕倒",
            "云谷地铁站故障停运，工作人员态度恶劣，到现在也没有说法",
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
    (
        "噪音",
        [
            "锦绣苑旁工地夜里施工噪音太大，凌晨两点还在打桩",
            "锦绣苑工地夜间施工噪音扰民，孩子睡不着",
            "#锦绣苑夜间施工# 打桩噪音一直到凌晨",
            "锦绣苑工地噪音扰民投诉了三次没人管",
        ],
    ),
    (
        "积水",
        [
            "滨江路隧道积水半米深，车辆熄火在里面",
            "暴雨后滨江路隧道积水，公交改道",
            "#滨江路隧道积水# 积水太深车过不去",
            "滨江路隧道又积水了，排水泵是不是坏了",
        ],
    ),
    (
        "停电",
        [
            "梧桐里小区停电一整晚，冰箱里的东西都坏了",
            "梧桐里停电没有通知，电梯里困了人",
            "#梧桐里停电# 停电十个小时还没恢复",
            "梧桐里小区又停电，供电公司电话打不通",
        ],
    ),
    (
        "暖气",
        [
            "翠湖湾小区暖气不热，室温只有十二度，老人孩子都冻感冒了",
            "翠湖湾暖气一直不热，热力公司电话打不通",
            "#翠湖湾暖气不热# 交了取暖费屋里还要穿棉袄",
            "翠湖湾小区暖气不热一个星期了，物业和热力公司互相推",
        ],
    ),
]


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, str]]] = []
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


def burst(trial: int, keyword_index: int) -> list[dict[str, object]]:
    _, phrasings = TOPICS[keyword_index]
    now = datetime.now(UTC)
    return [
        {
            "id": f"lat:{trial}:{i}",
            "source": "bench",
            "kind": kind,
            "text": f"{phrasings[i % len(phrasings)]}（{i}）",
            "published_at": now - timedelta(minutes=30 - i),
        }
        for i, kind in enumerate(["hotline", "board", "microblog"] * 5)
    ]


def wait_for_alert(inbox: Inbox, keyword: str, seen: int, stored: float, limit: float) -> float:
    """Seconds from `stored` to the alert naming `keyword`; -1 when none came in time."""
    while time.time() < stored + limit:
        time.sleep(0.1)
        with inbox.lock:
            for at, body in inbox.received[seen:]:
                if keyword in body.get("text", ""):
                    return at - stored
    return -1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=4, help="per mode, at most 4")
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--db-url", default=None, help="tracker database (default: SQLite file)")
    ap.add_argument("--es-url", default=None, help="store posts in Elasticsearch here")
    ap.add_argument("--keep-log", type=Path, default=None, help="copy the scheduler's log here")
    args = ap.parse_args()
    trials = min(args.trials, len(TOPICS) // 2)
    from analysis.enrich import AnalysisFiles, PostAnalyzer
    from analysis.text import DEPARTMENTS_FILE
    from api.sources.recorder import DatabaseRunRecorder
    from crawler.pipeline import PostWriter
    from store.base import PostStore
    from store.models import Post

    inbox = Inbox()
    server = serve(inbox)
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    results: dict[str, list[float]] = {"nudged": [], "interval only": []}
    missed = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "sources.yaml").write_text("sources: []\n", "utf-8")
        db_url = args.db_url or f"sqlite:///{tmp}/tracker.db"
        prefix = f"bench-alerts-{int(time.time())}"
        env = os.environ | {
            "YUQING_DATA_DIR": str(tmp),
            "YUQING_STORE__SQLITE_PATH": str(tmp / "posts.db"),
            "YUQING_DATABASE__URL": db_url,
            "YUQING_CRAWLER__SOURCES_FILE": str(tmp / "sources.yaml"),
            "YUQING_ANALYSIS__INTERVAL_SECONDS": str(args.interval),
            "YUQING_ALERTS__CHANNELS": json.dumps(
                [{"name": "bench", "kind": "webhook", "url": hook}]
            ),
            "NO_PROXY": "127.0.0.1",
        }
        if args.es_url:
            from store.elasticsearch import ElasticsearchPostStore

            env |= {
                "YUQING_STORE__BACKEND": "elasticsearch",
                "YUQING_ELASTICSEARCH__URL": args.es_url,
                "YUQING_ELASTICSEARCH__INDEX_PREFIX": prefix,
            }
            es_store = ElasticsearchPostStore(args.es_url, index_prefix=prefix)
            store: PostStore = es_store
        else:
            from store.sqlite import SqlitePostStore

            store = SqlitePostStore(tmp / "posts.db")
        store.count()
        analyzer = PostAnalyzer(
            AnalysisFiles(sentiment_model=None, departments_file=DEPARTMENTS_FILE),
            signatures=store.signatures(),
        )
        # Warm: the first trial must not pay for loading the models in this process.
        warm = {"id": "warm", "source": "bench", "kind": "board", "text": "今天出门散步，天气很好"}
        analyzer.enrich([Post.model_validate(warm | {"published_at": datetime.now(UTC)})])
        recorder = DatabaseRunRecorder(db_url)
        log = open(tmp / "scheduler.log", "w")  # noqa: SIM115
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "yuqing", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(15)  # let the scheduler start, take the lead and run a first pass
            for trial in range(2 * trials):
                nudged = trial % 2 == 0  # alternate, so both modes meet the same conditions
                mode = "nudged" if nudged else "interval only"
                keyword = TOPICS[trial][0]
                posts = [Post.model_validate(item) for item in burst(trial, trial)]
                seen = len(inbox.received)
                if nudged:
                    writer = PostWriter(
                        store,
                        "bench",
                        spool_dir=tmp / "spool",
                        batch_size=len(posts),
                        analyzer=analyzer,
                        on_stored=lambda count: recorder.written("bench", count),
                    )
                    for post in posts[:-1]:
                        writer.add(post)
                    # The last one fills the batch: analysed, stored, nudged. The latency
                    # counts the batch's analysis too (the reference's does not).
                    stored = time.time()
                    writer.add(posts[-1])
                else:
                    analyzer.enrich(posts)
                    stored = time.time()
                    store.upsert(posts)
                latency = wait_for_alert(inbox, keyword, seen, stored, 3 * args.interval + 60)
                if latency < 0:
                    missed += 1
                    print(f"trial {trial + 1} ({mode}, {keyword}): no alert in time", flush=True)
                    continue
                results[mode].append(latency)
                print(f"trial {trial + 1} ({mode}, {keyword}): alert after {latency:5.1f} s")
                time.sleep(2)
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=30)
            log.close()
            if args.keep_log:
                args.keep_log.write_bytes((tmp / "scheduler.log").read_bytes())
            recorder.close()
            if args.es_url:
                es_store.drop_everything()
            store.close()
            server.shutdown()
    tracker = "PostgreSQL NOTIFY" if db_url.startswith("postgresql") else "SQLite, polled"
    backend = "Elasticsearch" if args.es_url else "SQLite"
    for mode, latencies in results.items():
        if latencies:
            print(
                f"alert latency {mode:<13}: median {statistics.median(latencies):5.1f} s,"
                f" max {max(latencies):5.1f} s over {len(latencies)} trials"
                f" (store {backend}, tracker {tracker}, job every {args.interval} s)"
            )
    print("target: median under 10 s with the nudge; the interval-only line is the reference")
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
