"""Notifications rendered per channel and delivered to a local HTTP receiver and a local SMTP
server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from api.alerts.channels import deliver, deliver_all, send
from api.alerts.render import WECOM_MAX_BYTES, Message, render_text, render_wecom
from core.errors import DeliveryError
from core.settings import AlertChannel
from tests.receivers import Receiver, SmtpServer, refusing_port

FAST = {"wait_seconds": 0.01, "max_wait_seconds": 0.02}


def make_alert(**changes: Any) -> Message:
    """A hot-issue alert as the clustering job words it."""
    alert = Message(
        kind="hot_issue",
        subject_id=42,
        title="某小区停水三天无人回应",
        level="urgent",
        facts=[
            ("热度评分", "87.5"),
            ("关键词", "停水、物业、投诉"),
            ("涉及帖子数", "48"),
            ("来源分布", "微博 36，论坛 12"),
            ("首次出现", "2024-05-01 08:30（北京时间）"),
            ("预警时间", "2024-05-01 10:05（北京时间）"),
        ],
        body=["负面情绪占比 82%（阈值 60%）", "1 小时内新增 35 帖（基线 4 帖）"],
        created_at=datetime(2024, 5, 1, 2, 5, tzinfo=UTC),
        link="http://127.0.0.1/issues/42",
        data={"hot_issue_id": 42, "score": 87.5},
    )
    return replace(alert, **changes)


def make_channel(kind: str, **fields: Any) -> AlertChannel:
    return AlertChannel(name=f"test-{kind}", kind=kind, timeout_seconds=2.0, **fields)


# --- rendering -------------------------------------------------------------------------------


def test_text_is_chinese_and_in_beijing_time() -> None:
    text = render_text(make_alert())
    lines = text.splitlines()
    assert lines[0] == "【舆情预警】紧急｜某小区停水三天无人回应"
    assert "预警级别：紧急" in lines
    assert "热度评分：87.5" in lines
    assert "关键词：停水、物业、投诉" in lines
    assert "涉及帖子数：48" in lines
    assert "来源分布：微博 36，论坛 12" in lines
    assert "首次出现：2024-05-01 08:30（北京时间）" in lines
    assert "预警时间：2024-05-01 10:05（北京时间）" in lines
    assert lines[lines.index("触发信号：") + 1] == "1. 负面情绪占比 82%（阈值 60%）"
    assert lines.index("预警级别：紧急") == 1  # the level comes first, then the facts in order
    assert lines[-1] == "详情：http://127.0.0.1/issues/42"
    assert render_text(make_alert(level="normal")).startswith("【舆情预警】一般｜")


def test_a_clock_warning_has_its_own_wording() -> None:
    warning = make_alert(
        kind="clock_warning",
        title="首次权威发布即将超时：望潮苑停水",
        level="normal",
        facts=[("时限", "首次权威发布"), ("应完成时间", "2024-05-01 13:00（北京时间）")],
        body=["首次权威发布即将超时：应于 05-01 13:00 前完成"],
    )
    lines = render_text(warning).splitlines()
    assert lines[0] == "【时限预警】一般｜首次权威发布即将超时：望潮苑停水"
    assert "预警说明：" in lines and "触发信号：" not in lines
    assert not any(line.startswith("热度评分") for line in lines)


def test_message_rejects_naive_times_unknown_kinds_and_levels() -> None:
    with pytest.raises(ValueError, match="created_at"):
        make_alert(created_at=datetime(2024, 5, 1, 8, 30))
    with pytest.raises(ValueError, match="level"):
        make_alert(level="critical")
    with pytest.raises(ValueError, match="kind"):
        make_alert(kind="gossip")


def test_wecom_content_is_cut_at_whole_signal_lines() -> None:
    signals = [f"信号{i}：某项指标异常升高，当前值 {i * 7}，基线 {i}" for i in range(400)]
    alert = make_alert(body=signals)

    content = render_wecom(alert)

    assert len(content.encode()) <= WECOM_MAX_BYTES
    lines = content.splitlines()
    assert lines[-1] == "[查看详情](http://127.0.0.1/issues/42)"
    note = lines[-2]
    assert note.startswith("……另有 ") and note.endswith(" 条未列出")
    shown = [line for line in lines if line[:1].isdigit()]
    assert shown == [f"{i}. {s}" for i, s in enumerate(signals[: len(shown)], start=1)]
    assert int(note.split()[1]) == len(signals) - len(shown)
    assert len(shown) > 10


def test_wecom_content_too_long_without_signals_is_cut_at_a_character() -> None:
    content = render_wecom(make_alert(facts=[("关键词", "、".join(["很长的关键词"] * 1000))]))

    assert len(content.encode()) <= WECOM_MAX_BYTES
    assert content.startswith("## 【舆情预警】紧急｜")
    assert content.endswith("…")


# --- HTTP channels ---------------------------------------------------------------------------


def test_webhook_posts_every_field_as_json(receiver: Receiver) -> None:
    alert = make_alert()

    send(make_channel("webhook", url=receiver.url()), alert)

    [request] = receiver.requests
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = request.json()
    assert body == {
        "kind": "hot_issue",
        "subject_id": 42,
        "level": "urgent",
        "title": "某小区停水三天无人回应",
        "facts": dict(alert.facts),
        "body": alert.body,
        "link": "http://127.0.0.1/issues/42",
        "created_at": "2024-05-01T02:05:00+00:00",
        "data": {"hot_issue_id": 42, "score": 87.5},
        "text": render_text(alert),
    }


def test_wecom_sends_markdown(receiver: Receiver) -> None:
    send(make_channel("wecom", url=receiver.url("/cgi-bin/webhook/send?key=abc")), make_alert())

    [request] = receiver.requests
    assert request.query() == {"key": ["abc"]}
    body = request.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("## 【舆情预警】紧急｜某小区停水三天无人回应\n")
    assert '> 预警级别：<font color="warning">紧急</font>' in content
    assert "1. 负面情绪占比 82%（阈值 60%）" in content


def test_wecom_errcode_is_a_failure(receiver: Receiver) -> None:
    receiver.errcode, receiver.errmsg = 93000, "invalid webhook url"

    with pytest.raises(DeliveryError) as caught:
        send(make_channel("wecom", url=receiver.url()), make_alert())

    assert (
        str(caught.value) == "WeCom robot refused the message: errcode 93000, invalid webhook url"
    )


def test_dingtalk_signs_the_url(receiver: Receiver) -> None:
    secret = "SEC0123456789abcdef"
    channel = make_channel(
        "dingtalk", url=receiver.url("/robot/send?access_token=tok"), secret=secret
    )
    before = int(time.time() * 1000)

    send(channel, make_alert())

    [request] = receiver.requests
    query = request.query()
    assert query["access_token"] == ["tok"]
    [timestamp], [sign] = query["timestamp"], query["sign"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(digest).decode()
    # "+", "/" and "=" of the base64 must arrive URL-encoded, or the server would misread them.
    raw_query = urllib.parse.urlsplit(request.path).query
    assert f"sign={urllib.parse.quote_plus(sign)}" in raw_query
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "【舆情预警】紧急｜某小区停水三天无人回应"
    assert "- 涉及帖子数：48\n\n" in body["markdown"]["text"]


def test_dingtalk_without_secret_is_not_signed(receiver: Receiver) -> None:
    send(make_channel("dingtalk", url=receiver.url("/robot/send?access_token=tok")), make_alert())

    assert receiver.requests[0].query() == {"access_token": ["tok"]}


def test_dingtalk_errcode_is_a_failure(receiver: Receiver) -> None:
    receiver.errcode, receiver.errmsg = 310000, "sign not match"
    channel = make_channel("dingtalk", url=receiver.url(), secret="s")

    result = deliver(channel, make_alert(), attempts=2, **FAST)

    assert not result.ok
    assert result.error == "DingTalk robot refused the message: errcode 310000, sign not match"


def test_retry_after_a_server_error_succeeds(receiver: Receiver) -> None:
    receiver.fail_first = 1

    result = deliver(make_channel("webhook", url=receiver.url()), make_alert(), attempts=3, **FAST)

    assert (result.ok, result.attempts, result.error) == (True, 2, None)
    assert result.channel == "test-webhook"
    assert len(receiver.requests) == 2


def test_permanent_failure_is_recorded(receiver: Receiver) -> None:
    receiver.fail_first = 99
    started = datetime.now(UTC)

    result = deliver(make_channel("webhook", url=receiver.url()), make_alert(), attempts=3, **FAST)

    assert (result.ok, result.attempts) == (False, 3)
    assert result.error is not None
    assert result.error.startswith("HTTP 500 ")
    assert result.error.endswith(": boom: receiver is down")
    assert len(receiver.requests) == 3
    assert result.finished_at >= started


def test_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.fail_first, receiver.fail_status = 99, 400

    result = deliver(make_channel("webhook", url=receiver.url()), make_alert(), attempts=3, **FAST)

    assert (result.ok, result.attempts, len(receiver.requests)) == (False, 1, 1)
    assert result.error is not None and result.error.startswith("HTTP 400 ")


def test_redirect_is_a_failure_not_a_silent_get(receiver: Receiver) -> None:
    receiver.fail_first, receiver.fail_status = 99, 302

    result = deliver(make_channel("webhook", url=receiver.url()), make_alert(), attempts=2, **FAST)

    assert not result.ok
    assert result.error is not None and result.error.startswith("HTTP 302 ")
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_timeout_is_reported(receiver: Receiver) -> None:
    receiver.delay = 1.0
    channel = make_channel("webhook", url=receiver.url()).model_copy(
        update={"timeout_seconds": 0.2}
    )

    result = deliver(channel, make_alert(), attempts=2, **FAST)

    assert (result.ok, result.attempts) == (False, 2)
    assert result.error is not None and result.error.startswith("timed out after 0.2 s")


def test_connection_refused_is_reported(refused_port: int) -> None:
    port = refused_port
    channel = make_channel("wecom", url=f"http://127.0.0.1:{port}/send?key=secret-key")

    result = deliver(channel, make_alert(), attempts=2, **FAST)

    assert (result.ok, result.attempts) == (False, 2)
    assert result.error == f"connection refused (127.0.0.1:{port})"


def test_deliver_all_skips_channels_above_the_alert_level(receiver: Receiver) -> None:
    everyone = make_channel("webhook", url=receiver.url("/all"))
    urgent_only = AlertChannel(
        name="leaders", kind="webhook", url=receiver.url("/urgent"), min_level="urgent"
    )

    normal = deliver_all([everyone, urgent_only], make_alert(level="normal"), attempts=1, **FAST)
    urgent = deliver_all([everyone, urgent_only], make_alert(), attempts=1, **FAST)

    assert [(r.channel, r.ok) for r in normal] == [("test-webhook", True)]
    assert [(r.channel, r.ok) for r in urgent] == [("test-webhook", True), ("leaders", True)]
    assert [r.path for r in receiver.requests] == ["/all", "/all", "/urgent"]


# --- e-mail ----------------------------------------------------------------------------------


@pytest.fixture
def refused_port() -> Iterator[int]:
    with refusing_port() as port:
        yield port


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpServer, int]]:
    with SmtpServer(authenticator=_accept_password, auth_require_tls=False) as server:
        yield server, server.port


def _accept_password(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right"
    # handled=False makes aiosmtpd answer 535 itself; its default is to answer nothing.
    return AuthResult(success=ok, handled=False)


def email_channel(port: int, **fields: Any) -> AlertChannel:
    return make_channel(
        "email",
        smtp_host="127.0.0.1",
        smtp_port=port,
        sender="舆情监测 <alerts@example.gov.cn>",
        recipients=["duty@example.gov.cn", "leader@example.gov.cn"],
        **fields,
    )


def test_email_arrives_with_chinese_subject_and_body(smtp_server: tuple[SmtpServer, int]) -> None:
    mailbox, port = smtp_server
    alert = make_alert()

    result = deliver(email_channel(port), alert, attempts=1, **FAST)

    assert (result.ok, result.attempts) == (True, 1)
    [(mail_from, rcpt_tos, message)] = mailbox.messages
    assert mail_from == "alerts@example.gov.cn"
    assert rcpt_tos == ["duty@example.gov.cn", "leader@example.gov.cn"]
    assert message["Subject"] == "【舆情预警】紧急｜某小区停水三天无人回应"
    assert message["From"].addresses[0].display_name == "舆情监测"
    assert message.get_content_charset() == "utf-8"
    # Lines travel as CRLF over SMTP.
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == render_text(alert)


def test_email_login(smtp_server: tuple[SmtpServer, int]) -> None:
    mailbox, port = smtp_server

    good = deliver(email_channel(port, username="u", password="right"), make_alert(), 2, **FAST)
    bad = deliver(email_channel(port, username="u", password="wrong"), make_alert(), 3, **FAST)

    assert good.ok
    assert (bad.ok, bad.attempts) == (False, 1)
    assert bad.error is not None and bad.error.startswith(f"SMTP login refused by 127.0.0.1:{port}")
    assert len(mailbox.messages) == 1


def test_email_connection_refused_is_reported(refused_port: int) -> None:
    port = refused_port

    result = deliver(email_channel(port), make_alert(), attempts=2, **FAST)

    assert (result.ok, result.attempts) == (False, 2)
    assert result.error == f"connection refused (127.0.0.1:{port})"
