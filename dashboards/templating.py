"""Rendering the pages: one Jinja2 environment (autoescaped), Chinese labels, local times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.auth.models import Role, User
from api.issues.models import SEVERITY_LABELS, STATUS_LABELS, Severity
from core.timezone import SHANGHAI
from store.models import is_web_url

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

ROLE_LABELS = {
    Role.ADMIN: "管理员",
    Role.ANALYST: "舆情研判员",
    Role.LEADER: "领导",
    Role.PRESS: "新闻发布员",
    Role.HANDLER: "部门承办人",
}
KIND_LABELS = {"news": "新闻", "board": "留言板", "microblog": "微博", "hotline": "12345热线"}
HOT_STATUS_LABELS = {
    "new": "待研判",
    "watching": "关注中",
    "promoted": "已立项",
    "dismissed": "已排除",
    "merged": "已合并",
}
CLOCK_STATUS_LABELS = {
    "running": "计时中",
    "met": "按时",
    "breached": "超时",
    "paused": "暂停",
    "superseded": "已替代",
}
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面", "unscored": "未评分"}

# The screens in the navigation bar, and who sees each (admins see every one).
NAV = (
    ("/triage", "研判", frozenset({Role.ANALYST})),
    ("/search", "检索", frozenset({Role.ANALYST, Role.LEADER, Role.PRESS})),
    ("/leader", "领导视图", frozenset({Role.LEADER})),
    ("/press", "发布", frozenset({Role.PRESS})),
    ("/handler", "本部门", frozenset({Role.HANDLER})),
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking, detached from the database session (for error pages)."""

    id: int
    username: str
    role: Role
    department_id: int | None

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.username, user.role, user.department_id)


def nav_for(user: User | Viewer | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [
        (url, label) for url, label, roles in NAV if user.role is Role.ADMIN or user.role in roles
    ]


class LocalTime:
    """Times as the office reads them, in its own time zone (from the settings)."""

    def __init__(self) -> None:
        self.zone = SHANGHAI

    def local(self, value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
        if value is None:
            return "—"
        return value.astimezone(self.zone).strftime(fmt)


def _percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def _hours(seconds: float | None) -> str:
    """A duration as people say it: 3小时20分, 2天5小时."""
    if seconds is None:
        return "—"
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分钟"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = _percent
    env.filters["duration"] = _hours
    # `{% if url is web_url %}`: only an http(s) link becomes an <a href>; others show as text.
    env.tests["web_url"] = lambda value: isinstance(value, str) and is_web_url(value)
    env.globals.update(
        ROLE_LABELS=ROLE_LABELS,
        KIND_LABELS=KIND_LABELS,
        HOT_STATUS_LABELS=HOT_STATUS_LABELS,
        CLOCK_STATUS_LABELS=CLOCK_STATUS_LABELS,
        SENTIMENT_LABELS=SENTIMENT_LABELS,
        SEVERITY_LABELS={s.value: label for s, label in SEVERITY_LABELS.items()},
        STATUS_LABELS={s.value: label for s, label in STATUS_LABELS.items()},
        SEVERITIES=[(s.value, SEVERITY_LABELS[s]) for s in Severity],
    )
    return env


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | Viewer | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The template `name` with the request's user, CSRF token, navigation and time zone."""
    tz = LocalTime()
    offset = datetime.now(tz.zone).strftime("%z")
    values = {
        "request": request,
        "user": user,
        "nav": nav_for(user),
        "path": request.url.path,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "tz": tz,
        "utc_offset": f"{offset[:3]}:{offset[3:]}",
    }
    values.update(context or {})
    body = environment().get_template(name).render(values)
    return HTMLResponse(body, status_code=status_code, headers=headers)
