"""A department handler's screen (本部门): the issues their department leads, soonest due
first, and the 12345 hotline work orders assigned to it, with their deadlines. Nothing of
another department is ever listed (admins pick a department)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.auth.models import Role, User
from api.database import utcnow
from api.departments import service as departments
from api.deps import SessionDep, SettingsDep, StoreDep
from api.issues import clocks
from core.errors import NotFoundError
from dashboards.auth import not_found, page_error, page_user
from dashboards.templating import render
from dashboards.timeline import open_issues
from store.models import PostFilter, PostKind

router = APIRouter()

Handler = Annotated[User, Depends(page_user(Role.HANDLER))]

ISSUES_SHOWN = 30
ORDERS_SHOWN = 50
DONE = ("已办结", "办结", "已完成")


@router.get("/handler")
def handler_page(
    request: Request,
    user: Handler,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    department_id: Annotated[int | None, Query(description="admins only")] = None,
) -> HTMLResponse:
    everyone = departments.list_departments(session=session)
    if user.role is Role.HANDLER:
        department_id = user.department_id
    elif department_id is None and everyone:
        department_id = everyone[0].id
    if department_id is None:
        raise page_error(403, "您的账号尚未关联部门，请联系管理员。", user)
    try:
        department = departments.get(session=session, department_id=department_id)
    except NotFoundError as exc:
        raise not_found(f"部门 {department_id} 不存在。", user) from exc
    now = utcnow()
    rows, total = open_issues(
        session,
        calendar=clocks.calendar(settings),
        department_id=department.id,
        limit=ISSUES_SHOWN,
        now=now,
    )
    page = store.search(
        filters=PostFilter(kinds=[PostKind.HOTLINE], departments=[department.name]),
        limit=ORDERS_SHOWN,
    )
    orders = [
        {
            "post": hit.post,
            "done": (hit.post.status or "") in DONE,
            "overdue": hit.post.deadline is not None
            and hit.post.deadline < now
            and (hit.post.status or "") not in DONE,
        }
        for hit in page.hits
    ]
    context = {
        "department": department,
        "departments": everyone if user.role is Role.ADMIN else [],
        "rows": rows,
        "open_total": total,
        "orders": orders,
        "orders_total": page.total,
    }
    return render(request, "handler.html", context, user=user)
