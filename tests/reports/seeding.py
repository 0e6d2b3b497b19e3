"""Seeding the tracker through the real API: departments, issues, briefings, status changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.issues.models import TrackedIssue
from tests.helpers import Headers


class Tracker:
    """The admin's hand on the API, for building a world."""

    def __init__(self, client: TestClient, admin: Headers) -> None:
        self.client, self.admin = client, admin

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        reply = self.client.request(method, path, json=body, headers=self.admin)
        assert reply.status_code == status, (method, path, reply.text)
        return reply.json()

    def department(self, code: str, name: str) -> int:
        return self.ok("POST", "/api/departments", {"code": code, "name": name}, 201)["id"]

    def issue(
        self, title: str, severity: str, detected_at: datetime, department: int | None = None
    ) -> int:
        body = {
            "title": title,
            "severity": severity,
            "detected_at": detected_at.isoformat(),
            "lead_department_id": department,
        }
        return self.ok("POST", "/api/issues", body, 201)["id"]

    def status(self, issue_id: int, status: str, note: str | None = None) -> None:
        version = self.ok("GET", f"/api/issues/{issue_id}")["version"]
        body = {"version": version, "status": status, **({"note": note} if note else {})}
        self.ok("PATCH", f"/api/issues/{issue_id}", body)

    def briefing(self, kind: str, title: str, at: datetime, issue_ids: list[int]) -> None:
        body = {"kind": kind, "title": title, "at": at.isoformat(), "issue_ids": issue_ids}
        self.ok("POST", "/api/briefings", body, 201)

    def user(self, username: str, role: str, password: str) -> Headers:
        body = {"username": username, "password": password, "role": role}
        self.ok("POST", "/api/auth/users", body, 201)
        reply = self.client.post(
            "/api/auth/token", data={"username": username, "password": password}
        )
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def set_created_at(app: FastAPI, issue_id: int, at: datetime) -> None:
    """When the office began tracking it: the API stamps the present, the brief needs the past."""
    with app.state.session_factory() as session:
        session.execute(
            sa.update(TrackedIssue).where(TrackedIssue.id == issue_id).values(created_at=at)
        )
        session.commit()
