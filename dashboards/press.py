"""The press officers' briefings (发布): each briefing with its linked issues, linking an issue
(with the official posts suggested as its first statement), and the before/after chart of the
response's effect per issue.

Recording a briefing and linking issues are forms posted by htmx to the API (`/api/briefings`),
so a link meets the issue's clocks and is audited as the API does it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.auth.models import Role, User
from api.briefings import service as briefings
from api.briefings.models import BRIEFING_LABELS, BriefingKind
from api.deps import SessionDep, SettingsDep, StoreDep
from api.hot_issues.config import hot_config, official_sources
from api.issues import overview
from api.issues import service as issues
from api.issues import timeline as issue_timeline
from core.errors import NotFoundError
from dashboards.auth import not_found, page_user
from dashboards.templating import render
from store.models import PostFilter

router = APIRouter()

Press = Annotated[User, Depends(page_user(Role.PRESS))]

BRIEFINGS_SHOWN = 20
EFFECTS_SHOWN = 6
CANDIDATES = 5
LINKABLE = 100


def effects(session: SessionDep, negative_below: float) -> list[dict[str, Any]]:
    """The issues most recently answered, with volume and negative share 24 hours either side
    of their first statement."""
    out = []
    for issue_id in briefings.recently_answered(session=session, limit=EFFECTS_SHOWN):
        issue = issues.get(session=session, issue_id=issue_id)
        hot_ids = [
            int(r) for r in issue_timeline.related(session=session, issue_id=issue_id)["hot_issue"]
        ]
        effect = briefings.response_effect(
            session=session, issue_id=issue_id, hot_ids=hot_ids, negative_below=negative_below
        )
        first_at = briefings.first_statement_at(session=session, issue_id=issue_id)
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
        "linked": briefings.linked_issues(session=session, briefing_ids=[b.id for b in rows]),
        "choices": overview.open_titles(session=session, limit=LINKABLE),
        "awaiting": overview.awaiting_statement(session=session),
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
    try:
        issue = issues.get(session=session, issue_id=issue_id)
    except NotFoundError as exc:
        raise not_found(f"事项 {issue_id} 不存在。", user) from exc
    hot_ids = issue_timeline.related(session=session, issue_id=issue_id)["hot_issue"]
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
