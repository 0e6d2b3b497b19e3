"""The clustering job end to end on real SQLite stores: posts in, hot issues and alerts out.

Posts are analysed by the product's own pipeline, stored, clustered by `Job.run`, and read back
through the API; alerts go to a local HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from analysis.enrich import AnalysisFiles, PostAnalyzer
from analysis.text import shipped_segmenter
from api.alerts.models import Notification, NotificationDelivery
from api.database import make_engine, make_session_factory, migrate, session_scope
from api.hot_issues.job import Job
from api.hot_issues.models import HotIssue
from core.settings import Settings, load_settings
from core.timezone import SHANGHAI
from store.models import Post
from store.sqlite import SqlitePostStore
from tests.api.test_api import ADMIN_PASSWORD, SECRET, _login
from tests.receivers import Receiver
from yuqing.app import create_app

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)
_ids = itertools.count(1)

SOURCES = {
    "sources": [
        {
            "name": "gov-weibo",
            "kind": "news",
            "official": True,
            "feed_url": "http://127.0.0.1:1/rss",
        },
    ]
}

# A water outage told by residents on three kinds of source, in their own words.
OUTAGE = [
    ("hotline", "望潮苑小区从早上开始停水，到现在还没有来水，老人小孩没法做饭，请尽快抢修"),
    ("board", "临江区望潮苑停水大半天了，供水管道爆管什么时候能修好？没有任何通知"),
    ("microblog", "#望潮苑停水# 停水一上午了，自来水什么时候恢复供水，太难了"),
    ("hotline", "望潮苑停水，家里一滴水都没有，打自来水公司电话一直占线，什么时候恢复供水"),
    ("microblog", "望潮苑停水到现在，超市的矿泉水都卖光了，供水什么时候恢复"),
    ("board", "望潮苑小区停水严重影响生活，请供水部门尽快抢修并公布恢复时间"),
    ("microblog", "#望潮苑停水# 停水停到中午，连个通知都没有，自来水公司在干什么"),
    ("hotline", "反映望潮苑停水问题，上午八点停水至今没有恢复，要求尽快恢复供水"),
    ("microblog", "望潮苑停水，楼里老人提水上楼太辛苦了，希望尽快恢复供水"),
    ("board", "望潮苑停水已经四个小时，供水抢修进展如何，请相关部门回复"),
    ("hotline", "望潮苑停水一上午，孩子没法洗漱，自来水什么时候能来"),
    ("microblog", "望潮苑停水真的受不了了，恢复供水的时间一推再推"),
]
# Everyday letters over the week before: one per topic, each in different words.
BACKGROUND = [
    "滨湖区书院街夜里烧烤摊噪音扰民，凌晨两点还在划拳",
    "35路公交早高峰二十多分钟才来一班，能否加密班次",
    "镜湖公园周边停车位太少，周末绕一圈都找不到车位",
    "小区垃圾桶满了没人清运，夏天味道很大",
    "社保卡补办需要带哪些材料，可以网上办理吗",
    "表扬政务服务中心窗口工作人员，耐心细致帮我办好了证件",
    "紫荆路路灯坏了好几盏，晚上骑车看不清路面",
    "物业费涨价没有开业主大会，收支明细也不公开",
    "菜市场有商户缺斤短两，希望市场监管部门检查",
    "医院医保结算系统经常卡顿，排队一个小时",
]


def _post(kind: str, text: str, at: datetime, **extra: Any) -> Post:
    n = next(_ids)
    source = {"hotline": "hotline-12345", "board": "city-board", "microblog": "weibo"}[kind]
    data = {
        "id": f"t:{n}",
        "source": extra.pop("source", source),
        "kind": kind,
        "title": text[:14] if kind == "board" else "",
        "text": text,
        "published_at": at,
    }
    data.update(extra)
    return Post.model_validate(data)


def _outage(start: datetime, count: int = len(OUTAGE)) -> list[Post]:
    step = timedelta(minutes=50) / count
    return [_post(kind, text, start + i * step) for i, (kind, text) in enumerate(OUTAGE[:count])]


def _background() -> list[Post]:
    return [
        _post("board", text, NOW - timedelta(days=6, hours=-i * 14))
        for i, text in enumerate(BACKGROUND)
    ]


class Product:
    """Settings, store and tracker database of one test; `add` analyses and stores posts."""

    def __init__(self, tmp_path: Path, **alerts: Any) -> None:
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump(SOURCES, allow_unicode=True), "utf-8")
        self.settings: Settings = load_settings(
            env="test",
            secret_key=SECRET,
            admin_password=ADMIN_PASSWORD,
            data_dir=tmp_path,
            store={"backend": "sqlite", "sqlite_path": tmp_path / "posts.db"},
            database={"url": f"sqlite:///{tmp_path}/tracker.db"},
            crawler={"sources_file": tmp_path / "sources.yaml"},
            alerts={"threshold": 50, "attempts": 2, "suppression_minutes": 120, **alerts},
        )
        self.store = SqlitePostStore(tmp_path / "posts.db")
        self.analyzer = PostAnalyzer(AnalysisFiles(neardup_db=tmp_path / "neardup.db"))
        self.engine = make_engine(self.settings.database.url)
        migrate(self.engine)
        self.factory = make_session_factory(self.engine)

    def add(self, posts: list[Post]) -> None:
        self.analyzer.enrich(posts)
        assert self.store.upsert(posts).failures == []

    def job(self) -> Job:
        """A fresh job, as after a restart: it knows only what the database holds."""
        return Job(self.settings, self.store, self.factory, shipped_segmenter())

    def hot(self) -> list[HotIssue]:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(HotIssue).order_by(HotIssue.id)).all()
            session.expunge_all()
            return list(rows)

    def close(self) -> None:
        self.store.close()
        self.analyzer.index.close()
        self.engine.dispose()


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    p = Product(tmp_path)
    yield p
    p.close()


def _flagged(product: Product) -> list[HotIssue]:
    return [h for h in product.hot() if h.flagged_at is not None]


def test_a_burst_across_sources_becomes_one_flagged_hot_issue(product: Product) -> None:
    product.add(_background())
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)

    result = product.job().run(now=NOW)

    assert result.scanned == len(BACKGROUND) + len(OUTAGE)
    [hot] = _flagged(product)
    members = product.store.search(filters=None, limit=100).hits
    cluster_of = {h.post.id: h.post.cluster_id for h in members}
    # every outage post, whatever its source, is in the one cluster; no background post is
    assert {cluster_of[p.id] for p in burst} == {str(hot.id)}
    assert str(hot.id) not in {cluster_of[p.id] for p in _background_ids(members, burst)}
    assert hot.size == len(OUTAGE)
    assert "停水" in hot.keywords and "望潮苑" in hot.keywords
    assert hot.score >= 50 and hot.flagged_at == NOW
    fired = {s["name"]: s for s in hot.signals if s["fired"]}
    assert fired["burst"]["detail"]["last_hour"] == len(OUTAGE)
    assert fired["diversity"]["detail"]["kinds"] == {"board": 3, "hotline": 4, "microblog": 5}
    assert any(line.startswith(f"突发：近1小时{len(OUTAGE)}条") for line in hot.explanation)
    assert any("多源传播：3类来源" in line for line in hot.explanation)


def _background_ids(hits: list[Any], burst: list[Post]) -> list[Post]:
    burst_ids = {p.id for p in burst}
    return [h.post for h in hits if h.post.id not in burst_ids]


def test_cluster_ids_are_stable_across_restarts_and_quiet_clusters_expire(
    product: Product,
) -> None:
    product.add(_outage(NOW - timedelta(minutes=55), 6))
    product.job().run(now=NOW)
    [first] = [h for h in product.hot() if h.size == 6]

    later = NOW + timedelta(hours=2)
    more = [
        _post(
            "hotline", "望潮苑停水还没恢复，供水抢修到底什么时候结束", later - timedelta(minutes=5)
        )
    ]
    product.add(more)
    product.job().run(now=later)  # a new Job: a restarted process
    assert product.store.get(more[0].id).cluster_id == str(first.id)
    assert {h.id: h.size for h in product.hot()}[first.id] == 7

    product.job().run(now=later + timedelta(hours=73))
    assert not {h.id: h for h in product.hot()}[first.id].active
    # after expiry the same topic opens a new cluster
    again = [_post("hotline", "望潮苑又停水了，供水管道是不是又爆管", later + timedelta(hours=73))]
    product.add(again)
    product.job().run(now=later + timedelta(hours=73, minutes=1))
    assert product.store.get(again[0].id).cluster_id != str(first.id)


def test_official_statement_is_noted_and_lowers_the_score(product: Product) -> None:
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)
    product.job().run(now=NOW)
    [before] = _flagged(product)

    notice = _post(
        "microblog",
        "【停水通知】望潮苑片区供水管道爆管抢修中，预计今日18时前恢复供水，"
        "望潮苑停水期间设置临时供水点",
        NOW + timedelta(minutes=2),
        source="gov-weibo",
        author="江澜水务",
    )
    product.add([notice])
    product.job().run(now=NOW + timedelta(minutes=3))
    after = {h.id: h for h in product.hot()}[before.id]
    official = [s for s in after.signals if s["name"] == "official"]
    assert official and official[0]["detail"]["by"] == "江澜水务"
    assert after.score < before.score


def test_alert_is_delivered_once_within_the_suppression_window(
    tmp_path: Path, receiver: Receiver
) -> None:
    product = Product(
        tmp_path, channels=[{"name": "hook", "kind": "webhook", "url": receiver.url("/hook")}]
    )
    try:
        product.add(_outage(NOW - timedelta(minutes=55)))
        result = product.job().run(now=NOW)
        assert (result.alerts_raised, result.deliveries_ok) == (1, 1)
        [request] = receiver.requests
        body = request.json()
        [hot] = _flagged(product)
        assert (body["kind"], body["subject_id"]) == ("hot_issue", hot.id)
        assert body["level"] in ("normal", "urgent") and body["data"]["hot_issue_id"] == hot.id
        assert any(line.startswith("突发") for line in body["body"])
        assert body["text"].startswith("【舆情预警】") and "触发信号：" in body["text"]

        # more of the same topic ten minutes later: still the same alert, no repeat
        product.add(
            [_post("hotline", "望潮苑停水还没恢复，请尽快恢复供水", NOW + timedelta(minutes=5))]
        )
        again = product.job().run(now=NOW + timedelta(minutes=10))
        assert again.alerts_raised == 0 and len(receiver.requests) == 1
        with session_scope(product.engine) as session:
            [alert] = session.scalars(select(Notification)).all()
            assert (alert.status, alert.passes) == ("sent", 1)
    finally:
        product.close()


def test_a_failed_delivery_is_recorded_and_retried_on_the_next_pass(
    tmp_path: Path, receiver: Receiver
) -> None:
    product = Product(
        tmp_path, channels=[{"name": "hook", "kind": "webhook", "url": receiver.url("/hook")}]
    )
    try:
        receiver.fail_first = 2  # both attempts of the first pass get a 500
        product.add(_outage(NOW - timedelta(minutes=55)))
        first = product.job().run(now=NOW)
        assert (first.alerts_raised, first.deliveries_failed) == (1, 1)
        with session_scope(product.engine) as session:
            [alert] = session.scalars(select(Notification)).all()
            assert alert.status == "failed" and "500" in (alert.last_error or "")

        second = product.job().run(now=NOW + timedelta(minutes=1))
        assert second.deliveries_ok == 1 and len(receiver.requests) == 3
        with session_scope(product.engine) as session:
            [alert] = session.scalars(select(Notification)).all()
            assert alert.status == "sent" and alert.passes == 2
            deliveries = session.scalars(
                select(NotificationDelivery).order_by(NotificationDelivery.id)
            ).all()
            assert [(d.ok, d.attempts) for d in deliveries] == [(False, 2), (True, 1)]
    finally:
        product.close()


def test_quiet_hours_hold_a_normal_alert_until_they_end(tmp_path: Path, receiver: Receiver) -> None:
    product = Product(
        tmp_path,
        quiet_hours=["09:00", "11:00"],
        urgent_score=101,
        channels=[{"name": "hook", "kind": "webhook", "url": receiver.url("/hook")}],
    )
    try:
        product.add(_outage(NOW - timedelta(minutes=55)))
        product.job().run(now=NOW)  # 10:00, inside the quiet hours
        assert receiver.requests == []
        with session_scope(product.engine) as session:
            [alert] = session.scalars(select(Notification)).all()
            assert alert.status == "held" and alert.due_at == NOW + timedelta(hours=1)
        product.job().run(now=NOW + timedelta(hours=1, minutes=1))
        assert len(receiver.requests) == 1
    finally:
        product.close()


def _client(product: Product) -> TestClient:
    return TestClient(create_app(product.settings, store=product.store))


def _user(client: TestClient, admin: dict[str, str], name: str, role: str) -> dict[str, str]:
    reply = client.post(
        "/api/auth/users",
        json={"username": name, "password": f"{name}-password-1", "role": role},
        headers=admin,
    )
    assert reply.status_code == 201, reply.text
    return _login(client, name, f"{name}-password-1")


def test_api_lists_hot_issues_and_analysts_dismiss_merge_and_split(product: Product) -> None:
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)
    product.job().run(now=NOW)
    [hot] = _flagged(product)

    with _client(product) as client:
        admin = _login(client, "admin", ADMIN_PASSWORD)
        analyst = _user(client, admin, "ana", "analyst")
        press = _user(client, admin, "pr", "press")
        assert client.get("/api/hot-issues").status_code == 401

        page = client.get("/api/hot-issues", headers=press).json()
        assert [h["id"] for h in page["items"]] == [hot.id] and page["total"] == 1
        item = page["items"][0]
        assert item["explanation"] and item["flagged_at"] and item["keywords"]
        detail = client.get(f"/api/hot-issues/{hot.id}", headers=press).json()
        assert {m["post_id"] for m in detail["members"]} == {p.id for p in burst}
        assert (
            client.post(
                f"/api/hot-issues/{hot.id}/dismiss", json={"reason": "x"}, headers=press
            ).status_code
            == 403
        )

        # split three posts off: a new cluster, pinned; the store follows
        moved = [p.id for p in burst[:3]]
        reply = client.post(
            f"/api/hot-issues/{hot.id}/split", json={"post_ids": moved}, headers=analyst
        )
        assert reply.status_code == 201, reply.text
        new_id = reply.json()["id"]
        assert reply.json()["size"] == 3
        assert {product.store.get(p).cluster_id for p in moved} == {str(new_id)}

        # a later pass does not move them back
        product.add(
            [_post("hotline", "望潮苑停水还没恢复，请尽快恢复供水", NOW + timedelta(minutes=5))]
        )
        product.job().run(now=NOW + timedelta(minutes=6))
        assert {product.store.get(p).cluster_id for p in moved} == {str(new_id)}

        # merge them back by hand
        reply = client.post(
            f"/api/hot-issues/{hot.id}/merge", json={"other_ids": [new_id]}, headers=analyst
        )
        assert reply.status_code == 200, reply.text
        assert {product.store.get(p).cluster_id for p in moved} == {str(hot.id)}
        merged = client.get(f"/api/hot-issues/{new_id}", headers=analyst).json()
        assert (merged["status"], merged["merged_into"]) == ("merged", hot.id)

        # dismissed: off the list, still absorbs its topic, raises no alert
        reply = client.post(
            f"/api/hot-issues/{hot.id}/dismiss",
            json={"reason": "已由水务集团处置"},
            headers=analyst,
        )
        assert reply.status_code == 200 and reply.json()["status"] == "dismissed"
        assert client.get("/api/hot-issues", headers=analyst).json()["total"] == 0
        late = _post("board", "望潮苑停水第二天了，供水什么时候恢复", NOW + timedelta(minutes=20))
        product.add([late])
        result = product.job().run(now=NOW + timedelta(minutes=21))
        assert result.alerts_raised == 0
        assert product.store.get(late.id).cluster_id == str(hot.id)
        everything = client.get("/api/hot-issues?all=true", headers=analyst).json()
        assert hot.id in [h["id"] for h in everything["items"]]


def test_promoted_issue_gets_official_statement_candidates_and_a_response_effect(
    product: Product,
) -> None:
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)
    notice = _post(
        "microblog",
        "【停水通知】望潮苑片区供水管道爆管抢修中，预计今日18时前恢复供水，"
        "望潮苑停水期间设置临时供水点",
        NOW - timedelta(minutes=20),
        source="gov-weibo",
        author="江澜水务",
    )
    later = [
        _post("hotline", f"望潮苑停水，供水什么时候恢复？第{i}次反映", NOW + timedelta(minutes=i))
        for i in range(1, 4)
    ]
    product.add([notice, *later])
    product.job().run(now=NOW + timedelta(minutes=5))
    [hot] = _flagged(product)
    assert product.store.get(notice.id).cluster_id == str(hot.id)

    with _client(product) as client:
        admin = _login(client, "admin", ADMIN_PASSWORD)
        analyst = _user(client, admin, "ana", "analyst")
        press = _user(client, admin, "pr", "press")
        reply = client.post("/api/issues/promote", json={"hot_issue_id": hot.id}, headers=analyst)
        assert reply.status_code == 201, reply.text
        issue_id = reply.json()["id"]
        assert client.get(f"/api/hot-issues/{hot.id}", headers=press).json()["status"] == (
            "promoted"
        )

        candidates = client.get(f"/api/issues/{issue_id}/statement-candidates", headers=press)
        assert [c["post_id"] for c in candidates.json()] == [notice.id]

        assert client.get(f"/api/issues/{issue_id}/effect", headers=press).json()["before"] is None
        reply = client.post(
            "/api/briefings",
            headers=press,
            json={
                "kind": "press_release",
                "title": "停水通知",
                "at": notice.published_at.isoformat(),
                "issue_ids": [issue_id],
            },
        )
        assert reply.status_code == 201, reply.text
        effect = client.get(f"/api/issues/{issue_id}/effect", headers=press).json()
        # the burst posts before the notice, the notice itself and three complaints after it
        before = [p for p in burst if p.published_at < notice.published_at]
        assert effect["before"]["volume"] == len(before)
        assert effect["after"]["volume"] == 1 + len(later) + len(burst) - len(before)
        assert len(effect["hourly"]) == 48


def test_a_hot_issue_is_promoted_once_and_never_when_dismissed(product: Product) -> None:
    product.add(_background())
    product.add(_outage(NOW - timedelta(minutes=55)))
    product.add(
        [
            _post(
                "board",
                "镜湖公园停车难，周末停车位一位难求，希望增设停车场",
                NOW - timedelta(minutes=i),
            )
            for i in range(12)
        ]
    )
    product.job().run(now=NOW)
    hot = {h.id: h for h in _flagged(product)}
    assert len(hot) >= 1
    [outage] = [h for h in hot.values() if "停水" in h.keywords]

    with _client(product) as client:
        admin = _login(client, "admin", ADMIN_PASSWORD)
        analyst = _user(client, admin, "ana", "analyst")
        first = client.post(
            "/api/issues/promote", json={"hot_issue_id": outage.id}, headers=analyst
        )
        assert first.status_code == 201, first.text
        issue_id = first.json()["id"]
        second = client.post(
            "/api/issues/promote", json={"hot_issue_id": outage.id}, headers=analyst
        )
        assert second.status_code == 409
        assert f"already tracked as issue {issue_id}" in second.json()["error"]["message"]
        # linking it to a new issue by hand is the same promotion, refused the same way
        by_hand = client.post(
            "/api/issues",
            json={"title": "另一个停水事项", "hot_issue_ids": [outage.id]},
            headers=analyst,
        )
        assert by_hand.status_code == 409
        assert client.get("/api/issues", headers=analyst).json()["total"] == 1
        detail = client.get(f"/api/hot-issues/{outage.id}", headers=analyst).json()
        assert (detail["status"], detail["issue_id"]) == ("promoted", issue_id)

        # a dismissed hot issue cannot be promoted, and says why
        other = [h for h in product.hot() if h.id != outage.id and h.size > 1][0]
        reply = client.post(
            f"/api/hot-issues/{other.id}/dismiss", json={"reason": "与本市无关"}, headers=analyst
        )
        assert reply.status_code == 200, reply.text
        refused = client.post(
            "/api/issues/promote", json={"hot_issue_id": other.id}, headers=analyst
        )
        assert refused.status_code == 409
        assert "dismissed (与本市无关)" in refused.json()["error"]["message"]
        assert client.get("/api/issues", headers=analyst).json()["total"] == 1

