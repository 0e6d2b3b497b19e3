"""Sending a notification to a channel: a JSON webhook, WeCom and DingTalk group robots, and
e-mail over SMTP, each attempt retried with doubling waits; every failure comes back with its
reason, never as an exception."""

from __future__ import annotations

import base64
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
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from api.alerts.render import (
    Message,
    email_message,
    headline,
    one_line,
    render_dingtalk,
    render_wecom,
    webhook_payload,
)
from core.errors import DeliveryError
from core.settings import AlertChannel

log = logging.getLogger(__name__)

_LEVEL_RANK = {"normal": 0, "urgent": 1}
_REPLY_LIMIT = 64 * 1024
_EXCERPT_CHARS = 200
_USER_AGENT = "yuqing-alerts/0.1"


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one notification on one channel; a failure carries its reason."""

    channel: str
    ok: bool
    attempts: int
    error: str | None
    finished_at: datetime


# --- transport -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the message, and call that success.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _excerpt(body: bytes) -> str:
    text = one_line(body.decode("utf-8", errors="replace"))
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
        errmsg = one_line(reply.get("errmsg", ""))[:_EXCERPT_CHARS]
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


def _send_webhook(channel: AlertChannel, message: Message) -> None:
    assert channel.url
    _post_json(channel, channel.url, webhook_payload(message))


def _send_wecom(channel: AlertChannel, message: Message) -> None:
    assert channel.url
    payload = {"msgtype": "markdown", "markdown": {"content": render_wecom(message)}}
    _check_robot_reply("WeCom robot", *_post_json(channel, channel.url, payload))


def _send_dingtalk(channel: AlertChannel, message: Message) -> None:
    assert channel.url
    url = channel.url
    if channel.secret is not None:
        url = dingtalk_signed_url(url, channel.secret.get_secret_value())
    markdown = {"title": headline(message), "text": render_dingtalk(message)}
    payload = {"msgtype": "markdown", "markdown": markdown}
    _check_robot_reply("DingTalk robot", *_post_json(channel, url, payload))


def _smtp_text(value: bytes | str) -> str:
    return one_line(value.decode(errors="replace") if isinstance(value, bytes) else value)


def _send_email(channel: AlertChannel, message: Message) -> None:
    assert channel.smtp_host
    mail = email_message(channel, message)
    where, timeout = f"{channel.smtp_host}:{channel.smtp_port}", channel.timeout_seconds
    try:
        with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=timeout) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                password = channel.password.get_secret_value() if channel.password else ""
                smtp.login(channel.username, password)
            refused = smtp.send_message(mail)
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
        # Some recipients have the message already; another attempt would send it to them twice.
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


def send(channel: AlertChannel, message: Message) -> None:
    """Make one attempt to deliver ``message``; raise DeliveryError with the reason if it fails."""
    _SENDERS[channel.kind](channel, message)


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.retryable


def deliver(
    channel: AlertChannel,
    message: Message,
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
                    send(channel, message)
                except DeliveryError as exc:
                    log.warning(
                        "%s %s to channel %s, attempt %d of %d failed: %s",
                        message.kind,
                        message.subject_id,
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
        log.exception(
            "%s %s to channel %s failed unexpectedly",
            message.kind,
            message.subject_id,
            channel.name,
        )
        error = f"unexpected error: {type(exc).__name__}: {exc}"
    return DeliveryResult(
        channel=channel.name,
        ok=error is None,
        attempts=made,
        error=error,
        finished_at=datetime.now(UTC),
    )


def wants(channel: AlertChannel, message: Message) -> bool:
    """Whether the message's level reaches the channel's ``min_level``."""
    return _LEVEL_RANK[message.level] >= _LEVEL_RANK[channel.min_level]


def deliver_all(
    channels: Iterable[AlertChannel],
    message: Message,
    attempts: int,
    *,
    wait_seconds: float = 0.5,
    max_wait_seconds: float = 4.0,
) -> list[DeliveryResult]:
    """Deliver to every channel that wants this level, one after another."""
    return [
        deliver(
            channel,
            message,
            attempts,
            wait_seconds=wait_seconds,
            max_wait_seconds=max_wait_seconds,
        )
        for channel in channels
        if wants(channel, message)
    ]
