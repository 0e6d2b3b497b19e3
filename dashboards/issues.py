"""One tracked issue: its whole timeline with pinned events, its clocks, the linked hot issues,
posts and briefings, and its department; the actions a role may take on it.

A department handler sees only the issues their department leads: any other id is a 404 page,
exactly like one that does not exist. The actions (assign, comment, pin, close) are htmx forms
sent to the issue's API endpoints, which check the role, the version and the transition again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import service as users
from api.auth.models import Role, User
from api.briefings import service as briefings
from api.briefings.models import BRIEFING_LABELS
from api.database import utcnow
from api.departments import service as departments
from api.deps import SessionDep, SettingsDep, StoreDep
from api.hot_issues import service as hot_issues
from api.issues import clocks
from api.issues import service as issues
from api.issues import timeline as issue_timeline
from api.issues.models import (
    SEVERITY_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    IssueStatus,
    Severity,
    TrackedIssue,
)
from api.issues.sla import CLOCK_LABELS, ClockKind
from core.errors import NotFoundError
from core.timezone import SHANGHAI
from dashboards.auth import AnyUser, not_found
from dashboards.templating import render
from dashboards.timeline import rows_for
from store.models import PostFilter

router = APIRouter()

SAMPLE_POSTS = 10

EVENT_LABELS = {
    "created": "创建事项",
    "clocks_started": "启动时限",
    "status_changed": "状态变更",
    "reopened": "重新打开",
    "escalated": "升级",
    "deescalated": "降级",
    "reassigned": "改派",
    "updated": "更新",
    "comment": "批注",
    "pinned": "置顶",
    "unpinned": "取消置顶",
    "briefing_linked": "关联发布",
    "clocks_met": "时限达成",
    "clocks_replanned": "重算时限",
    "clock_paused": "暂停计时",
    "clock_resumed": "恢复计时",
    "hot_issue_linked": "关联热点",
}
FIELD_LABELS = {
    "title": "标题",
    "summary": "摘要",
    "category": "类别",
    "severity": "等级",
    "status": "状态",
    "lead_department_id": "牵头部门",
    "tags": "标签",
}


def visible_issue(session: SessionDep, issue_id: int, user: User) -> TrackedIssue:
    """The issue, if this user may see it; a 404 page otherwise (handlers: own department)."""
    try:
        issue = issues.get(session=session, issue_id=issue_id)
    except NotFoundError:
        issue = None
    if issue is None or (
        user.role is Role.HANDLER and issue.lead_department_id != user.department_id
    ):
        raise not_found(f"事项 {issue_id} 不存在，或不属于您所在的部门。", user)
    return issue


def _kind_label(kind: str) -> str:
    try:
        return CLOCK_LABELS[ClockKind(kind)]
    except ValueError:
        return kind


def _value(field: str, value: Any, names: dict[int, str]) -> str:
    if value is None:
        return "（空）"
    if field == "status":
        return STATUS_LABELS.get(IssueStatus(value), str(value))
    if field == "severity":
        return SEVERITY_LABELS.get(Severity(value), str(value))
    if field == "lead_department_id":
        return names.get(value, f"部门{value}")
    return str(value)


def _local(value: str | None, zone: Any) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(zone).strftime("%m-%d %H:%M")


def describe(event: Any, names: dict[int, str], zone: Any) -> str:
    """What a timeline event (a row of `issues.get_timeline`) says, in a sentence."""
    p = event.payload or {}
    kind = event.type
    if kind == "created":
        severity = SEVERITY_LABELS.get(Severity(p.get("severity", "general")), "")
        return f"{p.get('title', '')}（{severity}）"
    if kind == "clocks_started":
        return "；".join(
            f"{_kind_label(c.get('kind', ''))} 时限 {_local(c.get('due_at'), zone)}"
            for c in p.get("clocks", [])
        )
    if kind in ("status_changed", "reopened", "escalated", "deescalated", "reassigned", "updated"):
        parts = [
            f"{FIELD_LABELS.get(f, f)}：{_value(f, c.get('from'), names)} → "
            f"{_value(f, c.get('to'), names)}"
            for f, c in (p.get("changes") or {}).items()
            if f != "summary"
        ]
        if "summary" in (p.get("changes") or {}):
            parts.append("更新了摘要")
        if p.get("note"):
            parts.append(f"说明：{p['note']}")
        if str(p.get("by", "")).startswith("briefing:"):
            parts.append("（因关联发布）")
        return "；".join(parts)
    if kind == "comment":
        return str(p.get("text", ""))
    if kind in ("pinned", "unpinned"):
        return f"事件 #{p.get('event_id')}"
    if kind == "briefing_linked":
        kind_value = str(p.get("kind", ""))
        label = {k.value: v for k, v in BRIEFING_LABELS.items()}.get(kind_value, kind_value)
        return f"{p.get('title', '')}（{label}，{_local(p.get('at'), zone)}）"
    if kind == "clocks_met":
        kinds = "、".join(_kind_label(k) for k in p.get("kinds", []))
        return f"{kinds} 于 {_local(p.get('at'), zone)} 达成"
    if kind == "clocks_replanned":
        added = "、".join(_kind_label(c.get("kind", "")) for c in p.get("added", []))
        return f"因{FIELD_LABELS.get(p.get('reason', ''), '变更')}重算" + (
            f"，新增 {added}" if added else ""
        )
    if kind in ("clock_paused", "clock_resumed"):
        reason = f"：{p['reason']}" if p.get("reason") else ""
        return f"{_kind_label(p.get('kind', ''))}{reason}"
    if kind == "hot_issue_linked":
        return f"热点 #{p.get('hot_issue_id')} {p.get('title', '')}"
    return ""


@router.get("/issues/{issue_id}")
def issue_page(
    request: Request,
    issue_id: int,
    user: AnyUser,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HTMLResponse:
    issue = visible_issue(session, issue_id, user)
    now = utcnow()
    [row] = rows_for(session, [issue], calendar=clocks.calendar(settings), now=now)
    events = issue_timeline.get_timeline(session=session, issue_id=issue_id)
    all_departments = departments.list_departments(session=session)
    names = {d.id: d.name for d in all_departments}
    zone_info = SHANGHAI
    actors = users.usernames(
        session=session, user_ids={e.actor_id for e in events if e.actor_id is not None}
    )
    timeline = [
        {
            "event": e,
            "label": EVENT_LABELS.get(e.type, e.type),
            "text": describe(e, names, zone_info),
            "actor": actors.get(e.actor_id or -1, "系统"),
        }
        for e in events
    ]
    by_id = {t["event"].id: t for t in timeline}
    for t in timeline:
        if t["event"].type in ("pinned", "unpinned"):
            target = by_id.get((t["event"].payload or {}).get("event_id"))
            if target is not None:
                t["text"] = f"「{target['label']}」{target['text'][:40]}"
    links = issue_timeline.related(session=session, issue_id=issue_id)
    hot_ids = [int(ref) for ref in links["hot_issue"]]
    hot_rows = hot_issues.get_many(session=session, hot_ids=hot_ids)
    posts = list(store.get_many(links["post"][:SAMPLE_POSTS]).values())
    if hot_ids and len(posts) < SAMPLE_POSTS:
        page = store.search(
            filters=PostFilter(cluster_ids=[str(h) for h in hot_ids]),
            limit=SAMPLE_POSTS - len(posts),
        )
        posts += [hit.post for hit in page.hits]
    briefing_rows = briefings.of_issue(session=session, issue_id=issue_id)
    supporting = [names.get(int(i), i) for i in links["department"]]
    role = user.role
    office = role in (Role.ADMIN, Role.ANALYST)
    allowed = TRANSITIONS[issue.status]
    context = {
        "issue": issue,
        "row": row,
        "timeline": timeline,
        "pinned": [t for t in timeline if t["event"].pinned],
        "hot_issues": hot_rows,
        "posts": posts,
        "briefings": briefing_rows,
        "briefing_labels": {k.value: v for k, v in BRIEFING_LABELS.items()},
        "department": names.get(issue.lead_department_id or -1),
        "supporting": supporting,
        "departments": all_departments,
        "can_assign": office and IssueStatus.ASSIGNED in allowed,
        "can_reassign": office and issue.status is IssueStatus.ASSIGNED,
        "can_close": role in (Role.ADMIN, Role.ANALYST, Role.HANDLER)
        and IssueStatus.CLOSED in allowed,
        "can_triage": office and issue.status in (IssueStatus.NEW, IssueStatus.REOPENED),
        "can_comment": True,
        "can_pin": True,
    }
    return render(request, "issue.html", context, user=user)
