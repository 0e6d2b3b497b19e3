"""The clustering job end to end on real SQLite stores: posts in, hot issues and alerts out.

Posts are analysed by the product's own pipeline, stored, clustered by `Job.run`, and read back
through the API; alerts go to a local HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.alerts.models import Notification, NotificationDelivery
from api.database import session_scope
from api.hot_issues.models import HotIssue
from core.timezone import SHANGHAI
from store.models import Post
from tests.factories import BACKGROUND, OUTAGE, Product, post_from
from tests.helpers import ADMIN_PASSWORD, login
from tests.receivers import Receiver
from yuqing.app import create_app

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)


def _outage(start: datetime, count: int = len(OUTAGE)) -> list[Post]:
    step = timedelta(minutes=50) / count
    return [
        post_from(kind, text, start + i * step) for i, (kind, text) in enumerate(OUTAGE[:count])
    ]


def _background() -> list[Post]:
    return [
        post_from("board", text, NOW - timedelta(days=6, hours=-i * 14))
        for i, text in enumerate(BACKGROUND)
    ]


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
        post_from(
            "hotline", "望潮苑停水还没恢复，供水抢修到底什么时候结束", later - timedelta(minutes=5)
        )
    ]
    product.add(more)
    product.job().run(now=later)  # a new Job: a restarted process
    assert product.store.get(more[0].id).cluster_id == str(first.id)
    assert {h.id: h.size for h in product.hot()}[first.id] == 7

    # Hotline and board posts keep a topic for 30 days (microblog bursts for 72 hours).
    product.job().run(now=later + timedelta(hours=73))
    assert {h.id: h for h in product.hot()}[first.id].active
    gone = later + timedelta(days=30, hours=1)
    product.job().run(now=gone)
    assert not {h.id: h for h in product.hot()}[first.id].active
    # after expiry the same topic opens a new cluster
    again = [post_from("hotline", "望潮苑又停水了，供水管道是不是又爆管", gone)]
    product.add(again)
    product.job().run(now=gone + timedelta(minutes=1))
    assert product.store.get(again[0].id).cluster_id != str(first.id)


def test_official_statement_is_noted_and_lowers_the_score(product: Product) -> None:
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)
    product.job().run(now=NOW)
    [before] = _flagged(product)

    notice = post_from(
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
            [post_from("hotline", "望潮苑停水还没恢复，请尽快恢复供水", NOW + timedelta(minutes=5))]
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
    return login(client, name, f"{name}-password-1")


def test_api_lists_hot_issues_and_analysts_dismiss_merge_and_split(product: Product) -> None:
    burst = _outage(NOW - timedelta(minutes=55))
    product.add(burst)
    product.job().run(now=NOW)
    [hot] = _flagged(product)

    with _client(product) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
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
            [post_from("hotline", "望潮苑停水还没恢复，请尽快恢复供水", NOW + timedelta(minutes=5))]
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
        late = post_from(
            "board", "望潮苑停水第二天了，供水什么时候恢复", NOW + timedelta(minutes=20)
        )
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
    notice = post_from(
        "microblog",
        "【停水通知】望潮苑片区供水管道爆管抢修中，预计今日18时前恢复供水，"
        "望潮苑停水期间设置临时供水点",
        NOW - timedelta(minutes=20),
        source="gov-weibo",
        author="江澜水务",
    )
    later = [
        post_from(
            "hotline", f"望潮苑停水，供水什么时候恢复？第{i}次反映", NOW + timedelta(minutes=i)
        )
        for i in range(1, 4)
    ]
    product.add([notice, *later])
    product.job().run(now=NOW + timedelta(minutes=5))
    [hot] = _flagged(product)
    assert product.store.get(notice.id).cluster_id == str(hot.id)

    with _client(product) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
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
            post_from(
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
        admin = login(client, "admin", ADMIN_PASSWORD)
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
