"""The press officers' briefings (发布): each briefing with its linked issues, linking an issue
(with the official posts suggested as its first statement), and the before/after chart of the
response's effect per issue.

Recording a briefing and linking issues are forms posted by htmx to the API (`/api/briefings`),
so a link meets the issue's clocks and is audited as the API does it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from api.alerts.job import hot_config, official_sources
from api.auth.models import Role, User
from api.briefings import service as briefings
from api.briefings.models import BRIEFING_LABELS, BriefingIssue, BriefingKind
from api.deps import SessionDep, SettingsDep, StoreDep
from api.issues import service as issues
from api.issues.models import TrackedIssue
from dashboards.auth import not_found, page_user
from dashboards.templating import render
from dashboards.timeline import FINISHED
from store.models import PostFilter

router = APIRouter()

Press = Annotated[User, Depends(page_user(Role.PRESS))]

BRIEFINGS_SHOWN = 20
EFFECTS_SHOWN = 6
CANDIDATES = 5
LINKABLE = 100


def linked_issues(session: Session, briefing_ids: list[int]) -> dict[int, list[TrackedIssue]]:
    out: dict[int, list[TrackedIssue]] = defaultdict(list)
    if not briefing_ids:
        return out
    rows = session.execute(
        select(BriefingIssue.briefing_id, TrackedIssue)
        .join(TrackedIssue, TrackedIssue.id == BriefingIssue.issue_id)
        .where(BriefingIssue.briefing_id.in_(briefing_ids))
        .order_by(TrackedIssue.id)
    ).all()
    for briefing_id, issue in rows:
        out[briefing_id].append(issue)
    return out


def open_issue_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(
        select(TrackedIssue.id, TrackedIssue.title)
        .where(TrackedIssue.status.not_in(FINISHED))
        .order_by(TrackedIssue.id.desc())
        .limit(LINKABLE)
    ).all()
    return [(i, t) for i, t in rows]


def awaiting_statement(session: Session, limit: int = 10) -> list[TrackedIssue]:
    """Open issues no briefing has answered yet, newest first."""
    answered = exists().where(BriefingIssue.issue_id == TrackedIssue.id)
    return list(
        session.scalars(
            select(TrackedIssue)
            .where(TrackedIssue.status.not_in(FINISHED), ~answered)
            .order_by(TrackedIssue.detected_at.desc())
            .limit(limit)
        )
    )


def effects(session: Session, negative_below: float) -> list[dict[str, Any]]:
    """The issues most recently answered, with volume and negative share 24 hours either side
    of their first statement."""
    recent = session.execute(
        select(BriefingIssue.issue_id, func.max(BriefingIssue.linked_at).label("linked"))
        .group_by(BriefingIssue.issue_id)
        .order_by(func.max(BriefingIssue.linked_at).desc(), BriefingIssue.issue_id.desc())
        .limit(EFFECTS_SHOWN)
    ).all()
    out = []
    for issue_id, _ in recent:
        issue = issues.get(session=session, issue_id=issue_id)
        if issue is None:
            continue
        hot_ids = [int(ref) for ref in issues.related(session, issue_id)["hot_issue"]]
        effect = briefings.response_effect(session, issue_id, hot_ids, negative_below)
        first_at = briefings.first_statement_at(session, issue_id)
        out.append({"issue": issue, "effect": effect, "hot_ids": hot_ids, "first_at": first_at})
    return out


@router.get("/press")
def press_page(
    request: Request, user: Press, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    rows, total = briefings.list_briefings(session=session, limit=BRIEFINGS_SHOWN, offset=0)
    negative_below = hot_config(settings).score.negative.negative_below
    context = {
        "briefings": rows,
        "total": total,
        "linked": linked_issues(session, [b.id for b in rows]),
        "choices": open_issue_choices(session),
        "awaiting": awaiting_statement(session),
        "effects": effects(session, negative_below),
        "kinds": [(k.value, BRIEFING_LABELS[k]) for k in BriefingKind],
        "kind_labels": {k.value: label for k, label in BRIEFING_LABELS.items()},
    }
    return render(request, "press.html", context, user=user)


@router.get("/press/candidates/{issue_id}")
def press_candidates(
    request: Request,
    issue_id: int,
    user: Press,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Official posts in the issue's hot issues, oldest first: its first statement, likely."""
    issue = issues.get(session=session, issue_id=issue_id)
    if issue is None:
        raise not_found(f"事项 {issue_id} 不存在。", user)
    hot_ids = issues.related(session, issue_id)["hot_issue"]
    official = sorted(official_sources(settings))
    candidates = []
    if hot_ids and official:
        page = store.search(
            filters=PostFilter(sources=official, cluster_ids=hot_ids), limit=CANDIDATES
        )
        candidates = sorted((hit.post for hit in page.hits), key=lambda p: p.published_at)
    return render(
        request,
        "_candidates.html",
        {"issue": issue, "candidates": candidates},
        user=user,
    )
