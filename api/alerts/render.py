"""A notification as each channel shows it: plain text (webhook text and e-mail), WeCom and
DingTalk markdown, and the webhook's JSON. Every value from outside is folded onto one line,
so a title cannot break the message's layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from core.settings import AlertChannel
from core.timezone import SHANGHAI

KIND_NAMES = {"hot_issue": "舆情预警", "clock_warning": "时限预警"}
# The heading over the body's lines, per kind.
BODY_HEADINGS = {"hot_issue": "触发信号", "clock_warning": "预警说明"}
LEVEL_NAMES = {"normal": "一般", "urgent": "紧急"}
# The WeCom group robot refuses markdown content longer than this many UTF-8 bytes.
WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class Message:
    """What a notification says, whatever the channel."""

    kind: str
    subject_id: int
    level: str
    title: str
    facts: list[tuple[str, str]]
    body: list[str]
    created_at: datetime
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KIND_NAMES:
            raise ValueError(f"notification kind must be one of {sorted(KIND_NAMES)}")
        if self.level not in LEVEL_NAMES:
            raise ValueError(f"notification level must be normal or urgent, not {self.level!r}")
        if self.created_at.utcoffset() is None:
            raise ValueError("notification created_at must be timezone-aware")


def one_line(value: object) -> str:
    return " ".join(str(value).split())


def beijing(moment: datetime) -> str:
    """A time as people read it in messages."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M（北京时间）")


def headline(message: Message) -> str:
    """The first line of every message and the e-mail subject."""
    kind, level = KIND_NAMES[message.kind], LEVEL_NAMES[message.level]
    return f"【{kind}】{level}｜{one_line(message.title)}"


def _facts(message: Message, *, level: str | None = None) -> list[tuple[str, str]]:
    shown = [("预警级别", level or LEVEL_NAMES[message.level])]
    return shown + [(one_line(label), one_line(value)) for label, value in message.facts]


def _lines(message: Message) -> list[str]:
    return [f"{i}. {one_line(line)}" for i, line in enumerate(message.body, start=1)]


def render_text(message: Message) -> str:
    """The plain-text message: the webhook's ``text`` and the e-mail body."""
    lines = [headline(message), *(f"{label}：{value}" for label, value in _facts(message))]
    if message.body:
        lines += [f"{BODY_HEADINGS[message.kind]}：", *_lines(message)]
    if message.link:
        lines.append(f"详情：{message.link}")
    return "\n".join(lines)


def _fit(head: list[str], lines: list[str], tail: list[str], *, sep: str, limit: int) -> str:
    """Join the parts within ``limit`` UTF-8 bytes, dropping whole body lines from the end."""
    text = ""
    for keep in range(len(lines), -1, -1):
        shown = lines[:keep]
        if keep < len(lines):
            shown.append(f"……另有 {len(lines) - keep} 条未列出")
        text = sep.join([*head, *shown, *tail])
        if len(text.encode()) <= limit:
            return text
    # Even without its body the message is too long (a huge title or list of facts).
    return text.encode()[: limit - len("…".encode())].decode(errors="ignore") + "…"


def render_wecom(message: Message, *, limit: int = WECOM_MAX_BYTES) -> str:
    """Markdown for the WeCom group robot, within its content limit."""
    level = LEVEL_NAMES[message.level]
    if message.level == "urgent":
        level = f'<font color="warning">{level}</font>'
    head = [f"## {headline(message)}"]
    head += [f"> {label}：{value}" for label, value in _facts(message, level=level)]
    if message.body:
        head.append(f"**{BODY_HEADINGS[message.kind]}**")
    tail = [f"[查看详情]({message.link})"] if message.link else []
    return _fit(head, _lines(message), tail, sep="\n", limit=limit)


def render_dingtalk(message: Message) -> str:
    """Markdown for the DingTalk robot, which needs a blank line to break a line."""
    lines = [f"### {headline(message)}"]
    lines += [f"- {label}：{value}" for label, value in _facts(message)]
    if message.body:
        lines += [f"**{BODY_HEADINGS[message.kind]}**", *_lines(message)]
    if message.link:
        lines.append(f"[查看详情]({message.link})")
    return "\n\n".join(lines)


def webhook_payload(message: Message) -> dict[str, Any]:
    """The notification for machines: its fields, its facts by label, its typed `data`, and
    the rendered ``text``."""
    return {
        "kind": message.kind,
        "subject_id": message.subject_id,
        "level": message.level,
        "title": message.title,
        "facts": dict(message.facts),
        "body": list(message.body),
        "link": message.link,
        "created_at": message.created_at.isoformat(),
        "data": message.data,
        "text": render_text(message),
    }


def email_message(channel: AlertChannel, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = headline(message)
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.recipients)
    mail["Date"] = formatdate(localtime=True)
    # A domain of our own spares make_msgid a DNS lookup of this host.
    mail["Message-ID"] = make_msgid(domain=(channel.sender or "").rpartition("@")[2] or None)
    mail.set_content(render_text(message), charset="utf-8")
    return mail
