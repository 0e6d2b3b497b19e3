"""Deliver hot-issue alerts to webhooks, WeCom and DingTalk robots and e-mail, with retries."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from core.errors import YuqingError
from core.settings import AlertChannel
from core.timezone import SHANGHAI

log = logging.getLogger(__name__)

Level = Literal["normal", "urgent"]
LEVEL_NAMES: dict[str, str] = {"normal": "一般", "urgent": "紧急"}
_LEVEL_RANK = {"normal": 0, "urgent": 1}
LOCAL_TZ = SHANGHAI
# The WeCom group robot refuses markdown content longer than this many UTF-8 bytes.
WECOM_MAX_BYTES = 4096
_REPLY_LIMIT = 64 * 1024
_EXCERPT_CHARS = 200
_USER_AGENT = "yuqing-alerts/0.1"


class DeliveryError(YuqingError):
    """One attempt to deliver an alert failed; ``str(err)`` says why.

    ``retryable`` is False when another attempt cannot succeed without someone changing the
    channel (a refused login, HTTP 400, a redirect), so the remaining attempts are not spent.
    """

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class Alert:
    """A hot issue that crossed the alert threshold, as people will read it."""

    cluster_id: int
    title: str
    level: Level
    score: float
    # One line per signal that fired, with its numbers.
    explanation: list[str]
    keywords: list[str]
    members: int
    sources: dict[str, int]
    first_seen: datetime
    flagged_at: datetime
    url: str | None = None

    def __post_init__(self) -> None:
        if self.level not in _LEVEL_RANK:
            raise ValueError(f"alert level must be normal or urgent, not {self.level!r}")
        for name in ("first_seen", "flagged_at"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"alert {name} must be timezone-aware")


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one alert on one channel; a failure carries its reason."""

    channel: str
    ok: bool
    attempts: int
    error: str | None
    finished_at: datetime


# --- rendering -------------------------------------------------------------------------------


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M（北京时间）")


def headline(alert: Alert) -> str:
    """The first line of every message and the e-mail subject."""
    return f"【舆情预警】{LEVEL_NAMES[alert.level]}｜{_one_line(alert.title)}"


def _facts(alert: Alert, *, level: str | None = None) -> list[tuple[str, str]]:
    sources = sorted(alert.sources.items(), key=lambda item: (-item[1], item[0]))
    return [
        ("预警级别", level or LEVEL_NAMES[alert.level]),
        ("热度评分", f"{alert.score:.1f}"),
        ("关键词", "、".join(_one_line(k) for k in alert.keywords) or "无"),
        ("涉及帖子数", str(alert.members)),
        ("来源分布", "，".join(f"{_one_line(s)} {n}" for s, n in sources) or "无"),
        ("首次出现", _local(alert.first_seen)),
        ("预警时间", _local(alert.flagged_at)),
    ]


def _signals(alert: Alert) -> list[str]:
    return [f"{i}. {_one_line(line)}" for i, line in enumerate(alert.explanation, start=1)]


def render_text(alert: Alert) -> str:
    """The plain-text message: webhook ``text`` and the e-mail body."""
    lines = [headline(alert), *(f"{label}：{value}" for label, value in _facts(alert))]
    lines += ["触发信号：", *_signals(alert)]
    if alert.url:
        lines.append(f"详情：{alert.url}")
    return "\n".join(lines)


def _fit(head: list[str], signals: list[str], tail: list[str], *, sep: str, limit: int) -> str:
    """Join the parts within ``limit`` UTF-8 bytes, dropping whole signal lines from the end."""
    text = ""
    for keep in range(len(signals), -1, -1):
        shown = signals[:keep]
        if keep < len(signals):
            shown.append(f"……另有 {len(signals) - keep} 条信号未列出")
        text = sep.join([*head, *shown, *tail])
        if len(text.encode()) <= limit:
            return text
    # Even without signals the message is too long (a huge title or keyword list).
    return text.encode()[: limit - len("…".encode())].decode(errors="ignore") + "…"


def render_wecom(alert: Alert, *, limit: int = WECOM_MAX_BYTES) -> str:
    """Markdown for the WeCom group robot, within its content limit."""
    level = LEVEL_NAMES[alert.level]
    if alert.level == "urgent":
        level = f'<font color="warning">{level}</font>'
    head = [f"## {headline(alert)}"]
    head += [f"> {label}：{value}" for label, value in _facts(alert, level=level)]
    head.append("**触发信号**")
    tail = [f"[查看详情]({alert.url})"] if alert.url else []
    return _fit(head, _signals(alert), tail, sep="\n", limit=limit)


def render_dingtalk(alert: Alert) -> str:
    """Markdown for the DingTalk robot, which needs a blank line to break a line."""
    lines = [f"### {headline(alert)}", *(f"- {label}：{value}" for label, value in _facts(alert))]
    lines += ["**触发信号**", *_signals(alert)]
    if alert.url:
        lines.append(f"[查看详情]({alert.url})")
    return "\n\n".join(lines)


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """Every alert field (times in ISO 8601) plus the rendered ``text``."""
    payload = dataclasses.asdict(alert)
    payload["first_seen"] = alert.first_seen.isoformat()
    payload["flagged_at"] = alert.flagged_at.isoformat()
    payload["text"] = render_text(alert)
    return payload


# --- transport -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the alert, and call that success.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _excerpt(body: bytes) -> str:
    text = _one_line(body.decode("utf-8", errors="replace"))
    if not text:
        return "(empty body)"
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


def _where(url: str) -> str:
    # Host and port only: the path and query of a robot URL hold its key.
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _network_reason(exc: BaseException, *, where: str, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s ({where})"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused ({where})"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {where}: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error with {where}: {exc}"
    return f"{type(exc).__name__} with {where}: {exc}"


def _post_json(channel: AlertChannel, url: str, payload: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": _USER_AGENT},
    )
    where, timeout = _where(url), channel.timeout_seconds
    try:
        with _opener.open(request, timeout=timeout) as reply:
            return reply.status, reply.read(_REPLY_LIMIT)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(_REPLY_LIMIT)
        except (OSError, http.client.HTTPException):
            body = b""
        retryable = exc.code >= 500 or exc.code in (408, 429)
        reason = f"HTTP {exc.code} {exc.reason} from {where}: {_excerpt(body)}"
        raise DeliveryError(reason, retryable=retryable) from exc
    except urllib.error.URLError as exc:
        cause = exc.reason if isinstance(exc.reason, BaseException) else exc
        raise DeliveryError(_network_reason(cause, where=where, timeout=timeout)) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(_network_reason(exc, where=where, timeout=timeout)) from exc


def _check_robot_reply(robot: str, status: int, body: bytes) -> None:
    """WeCom and DingTalk answer HTTP 200 and put the outcome in ``errcode``."""
    try:
        reply = json.loads(body)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or "errcode" not in reply:
        raise DeliveryError(f"{robot} answered HTTP {status} without an errcode: {_excerpt(body)}")
    if reply["errcode"] != 0:
        errmsg = _one_line(reply.get("errmsg", ""))[:_EXCERPT_CHARS]
        raise DeliveryError(f"{robot} refused the message: errcode {reply['errcode']}, {errmsg}")


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """Add DingTalk's ``timestamp`` and ``sign`` query parameters for a robot with a secret."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    sign = base64.b64encode(digest.digest()).decode()
    extra = urllib.parse.urlencode({"timestamp": timestamp, "sign": sign})
    parts = urllib.parse.urlsplit(url)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _send_webhook(channel: AlertChannel, alert: Alert) -> None:
    assert channel.url
    _post_json(channel, channel.url, webhook_payload(alert))


def _send_wecom(channel: AlertChannel, alert: Alert) -> None:
    assert channel.url
    payload = {"msgtype": "markdown", "markdown": {"content": render_wecom(alert)}}
    _check_robot_reply("WeCom robot", *_post_json(channel, channel.url, payload))


def _send_dingtalk(channel: AlertChannel, alert: Alert) -> None:
    assert channel.url
    url = channel.url
    if channel.secret is not None:
        url = dingtalk_signed_url(url, channel.secret.get_secret_value())
    markdown = {"title": headline(alert), "text": render_dingtalk(alert)}
    payload = {"msgtype": "markdown", "markdown": markdown}
    _check_robot_reply("DingTalk robot", *_post_json(channel, url, payload))


def email_message(channel: AlertChannel, alert: Alert) -> EmailMessage:
    text = render_text(alert)
    message = EmailMessage()
    message["Subject"] = headline(alert)
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.recipients)
    message["Date"] = formatdate(localtime=True)
    # A domain of our own spares make_msgid a DNS lookup of this host.
    message["Message-ID"] = make_msgid(domain=(channel.sender or "").rpartition("@")[2] or None)
    message.set_content(text, charset="utf-8")
    return message


def _smtp_text(value: bytes | str) -> str:
    return _one_line(value.decode(errors="replace") if isinstance(value, bytes) else value)


def _send_email(channel: AlertChannel, alert: Alert) -> None:
    assert channel.smtp_host
    message = email_message(channel, alert)
    where, timeout = f"{channel.smtp_host}:{channel.smtp_port}", channel.timeout_seconds
    try:
        with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=timeout) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                password = channel.password.get_secret_value() if channel.password else ""
                smtp.login(channel.username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        reason = f"SMTP login refused by {where}: {exc.smtp_code} {_smtp_text(exc.smtp_error)}"
        raise DeliveryError(reason, retryable=False) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        refusals = "; ".join(f"{r} ({c} {_smtp_text(m)})" for r, (c, m) in exc.recipients.items())
        raise DeliveryError(f"SMTP refused every recipient: {refusals}", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        reason = f"SMTP error from {where}: {exc.smtp_code} {_smtp_text(exc.smtp_error)}"
        raise DeliveryError(reason, retryable=exc.smtp_code < 500) from exc
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP error with {where}: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(_network_reason(exc, where=where, timeout=timeout)) from exc
    if refused:
        # Some recipients have the alert already; another attempt would send it to them twice.
        refusals = "; ".join(f"{r} ({c} {_smtp_text(m)})" for r, (c, m) in refused.items())
        raise DeliveryError(
            f"SMTP refused some recipients (the others received it): {refusals}", retryable=False
        )


_SENDERS = {
    "webhook": _send_webhook,
    "wecom": _send_wecom,
    "dingtalk": _send_dingtalk,
    "email": _send_email,
}


# --- delivery --------------------------------------------------------------------------------


def send(channel: AlertChannel, alert: Alert) -> None:
    """Make one attempt to deliver ``alert``; raise DeliveryError with the reason if it fails."""
    _SENDERS[channel.kind](channel, alert)


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.retryable


def deliver(
    channel: AlertChannel,
    alert: Alert,
    attempts: int,
    *,
    wait_seconds: float = 0.5,
    max_wait_seconds: float = 4.0,
) -> DeliveryResult:
    """Try up to ``attempts`` times with doubling waits; the result carries any failure."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait_seconds, max=max_wait_seconds),
        retry=retry_if_exception(_worth_retrying),
        reraise=True,
    )
    made = 0
    error: str | None = None
    try:
        for attempt in retrying:
            with attempt:
                made = attempt.retry_state.attempt_number
                try:
                    send(channel, alert)
                except DeliveryError as exc:
                    log.warning(
                        "alert %s to channel %s, attempt %d of %d failed: %s",
                        alert.cluster_id,
                        channel.name,
                        made,
                        attempts,
                        exc,
                    )
                    raise
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:
        # A bug here must not stop the other channels; it is logged and recorded, not retried.
        log.exception("alert %s to channel %s failed unexpectedly", alert.cluster_id, channel.name)
        error = f"unexpected error: {type(exc).__name__}: {exc}"
    return DeliveryResult(
        channel=channel.name,
        ok=error is None,
        attempts=made,
        error=error,
        finished_at=datetime.now(UTC),
    )


def wants(channel: AlertChannel, alert: Alert) -> bool:
    """Whether the alert's level reaches the channel's ``min_level``."""
    return _LEVEL_RANK[alert.level] >= _LEVEL_RANK[channel.min_level]


def deliver_all(
    channels: Iterable[AlertChannel],
    alert: Alert,
    attempts: int,
    *,
    wait_seconds: float = 0.5,
    max_wait_seconds: float = 4.0,
) -> list[DeliveryResult]:
    """Deliver to every channel that wants this level, one after another."""
    return [
        deliver(
            channel,
            alert,
            attempts,
            wait_seconds=wait_seconds,
            max_wait_seconds=max_wait_seconds,
        )
        for channel in channels
        if wants(channel, alert)
    ]
