"""One transaction per write request, with its audit record in it.

Every POST, PUT, PATCH and DELETE gets one session (`request.state.write_session`, which
`api.deps.get_session` hands to the endpoint). The answer is held back until that session has
committed, with the request's audit record added to the same transaction: a change is never
saved without its audit record, nor answered as done before it is saved. A refused request
(an error status) is rolled back and its audit record written on its own. If the commit
fails, the client gets that error instead of the held answer.

Write requests of one process take turns: each queues for an asyncio lock (`app.state.
write_gate`) before it starts, and holds it until its commit. A write that waits for the
database (SQLite's one write lock, a PostgreSQL row another process is changing) holds a
thread while it waits, and the request it waits for needs a thread to commit: with several
writers of one process waiting, the thread pool (`api.threads`, two by default) would fill up
with them and the commit they wait for would never run. Taking turns, at most one thread per
process waits; reads never wait (WAL on SQLite, MVCC on PostgreSQL), so the rest of the pool
serves them, and the other processes' writers commit in their own threads.

Reads take turns too, for a place among `api.threads` read slots (an asyncio semaphore, held
until the answer starts), and the thread pool has one thread more than that: the write that
holds the gate always finds a thread at once, instead of queueing behind every read that
arrived before its next step, while it holds up the writes behind it.

The middleware sits inside the error handling for expected errors, so it sees the status the
client gets (401, 403, 409, 422 ... included).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import service as audit
from api.auth import tokens as api_tokens
from api.database import translate_db_error
from api.errors import error_json, status_code_for
from core.errors import InputError, YuqingError

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_PREFIX = "/api/"
WRITE_SESSION = "write_session"
# The largest body a write may send (the largest real one, a holiday calendar, is a few KB).
MAX_WRITE_BODY = 1024 * 1024


def write_gate() -> asyncio.Lock:
    """What the write requests of one process queue on, one at a time."""
    return asyncio.Lock()


def read_slots(threads: int) -> asyncio.Semaphore:
    """What the other requests of one process queue on, `threads` at a time; the thread pool
    needs `threads + 1` threads, the one more for the write holding the gate."""
    return asyncio.Semaphore(threads)


class WriteMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in WRITE_METHODS:
            await _read(self.app, scope, receive, send)
            return
        # Authentication notes the actor in the scope's state, which every layer shares.
        state = scope.setdefault("state", {})
        state_app: Any = scope["app"]
        exchange = _Exchange(audited=scope["path"].startswith(AUDITED_PREFIX))

        # The whole body is read before the request queues, so a slow client holds no place
        # in the queue while it sends.
        try:
            body = await _read_body(receive, limit=MAX_WRITE_BODY)
        except ClientDisconnect:
            return  # nobody to answer, nothing was done
        if body is None:
            exchange.status = 413
            async with state_app.state.write_gate:
                await run_in_threadpool(
                    _record_refusal, scope, state_app.state.session_factory, exchange
                )
            await _answer_error(
                send, InputError(f"the request is larger than {MAX_WRITE_BODY} bytes"), 413
            )
            return
        exchange.keep_request(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def hold(message: Message) -> None:
            exchange.held.append(message)
            exchange.note_response(message)

        async with state_app.state.write_gate:
            session: Session = state_app.state.session_factory()
            state[WRITE_SESSION] = session
            try:
                await self.app(scope, replay, hold)
            except BaseException:
                # Nothing usable was answered: the client sees a 500.
                exchange.status = 500
                await run_in_threadpool(_close, scope, session, exchange)
                raise
            failure = await run_in_threadpool(_close, scope, session, exchange)
        if failure is not None:
            await _answer_error(send, failure)
            return
        for message in exchange.held:
            await send(message)


async def _read(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """A request that changes nothing, in one of the read slots until its answer starts: the
    work is done by then, and a client slow to take the answer holds no slot."""
    slots: asyncio.Semaphore = scope["app"].state.read_slots
    await slots.acquire()
    held = True

    def release() -> None:
        nonlocal held
        if held:
            held = False
            slots.release()

    async def answer(message: Message) -> None:
        if message["type"] == "http.response.start":
            release()
        await send(message)

    try:
        await app(scope, receive, answer)
    finally:
        release()


async def _read_body(receive: Receive, *, limit: int) -> bytes | None:
    """The request's body, or None once it exceeds `limit` bytes; ClientDisconnect if the
    client went away before sending all of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _record_refusal(scope: Scope, factory: Any, exchange: _Exchange) -> None:
    """The audit record of a request refused before it reached an endpoint."""
    if not exchange.audited:
        return
    session: Session = factory()
    try:
        _record_alone(scope, session, exchange)
    finally:
        session.close()


def _close(scope: Scope, session: Session, exchange: _Exchange) -> YuqingError | None:
    """Commit the request's change with its audit record, or roll it back and record the
    refusal; the error the client should get instead if the commit failed."""
    status = exchange.status if exchange.status is not None else 500
    try:
        if status < 400:
            _touch_api_token(scope, session)
            if exchange.audited:
                _record(scope, session, exchange, status)
            session.commit()
            return None
        session.rollback()
    except Exception as exc:
        session.rollback()
        translated = translate_db_error(exc)
        log.error("%s %s could not be saved: %s", scope["method"], scope["path"], exc, exc_info=exc)
        failure = translated or YuqingError("the change could not be saved; it has been logged")
        exchange.status = _status_of(failure)
        exchange.failed = True
        if exchange.audited:
            _record_alone(scope, session, exchange)
        session.close()
        return failure
    if exchange.audited:
        _record_alone(scope, session, exchange)
    session.close()
    return None


def _record_alone(scope: Scope, session: Session, exchange: _Exchange) -> None:
    """The audit record of a refused or failed request, in a transaction of its own."""
    try:
        _record(scope, session, exchange, exchange.status or 500)
        session.commit()
    except Exception:
        session.rollback()
        log.error(
            "could not write the audit record of %s %s (status %s)",
            scope["method"],
            scope["path"],
            exchange.status,
            exc_info=True,
        )


def _record(scope: Scope, session: Session, exchange: _Exchange, status: int) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    detail = audit.describe_body(
        b"".join(exchange.request_chunks),
        size=exchange.request_size,
        content_type=headers.get("content-type", ""),
    )
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        detail["query"] = audit.redact(audit.form_fields(query))
    entity, entity_id = audit.describe_target(scope["path"], scope.get("path_params"))
    if entity_id is None and scope["method"] == "POST" and not exchange.failed:
        entity_id = exchange.new_id()
    audit.record(
        session=session,
        actor=audit.noted_actor(scope["state"]),
        method=scope["method"],
        path=scope["path"],
        status_code=status,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        ip=audit.client_ip(scope),
    )


def _touch_api_token(scope: Scope, session: Session) -> None:
    """An API token's time of use, noted by authentication, saved with the change."""
    token_id = scope["state"].get(api_tokens.TOUCH_KEY)
    if token_id is not None:
        api_tokens.touch(session=session, token_id=token_id)


def _status_of(error: YuqingError) -> int:
    return status_code_for(error)


async def _answer_error(send: Send, error: YuqingError, status: int | None = None) -> None:
    status = status or _status_of(error)
    body = error_json(type(error).__name__, str(error))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Exchange:
    """What the middleware keeps of one request and its held answer."""

    def __init__(self, *, audited: bool) -> None:
        self.audited = audited
        self.request_chunks: list[bytes] = []
        self.request_size = 0
        self.status: int | None = None
        self.failed = False
        self.held: list[Message] = []
        self.response_chunks: list[bytes] = []
        self.response_size = 0

    def keep_request(self, chunk: bytes) -> None:
        if self.request_size + len(chunk) <= audit.MAX_BODY_BYTES:
            self.request_chunks.append(chunk)
        self.request_size += len(chunk)

    def note_response(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body" and self.status is not None:
            chunk = message.get("body", b"")
            # Only a success can name a new entity; the body is read for its id alone.
            if self.status < 300 and self.response_size + len(chunk) <= audit.MAX_BODY_BYTES:
                self.response_chunks.append(chunk)
            self.response_size += len(chunk)

    def new_id(self) -> str | None:
        """The `id` in a successful JSON answer, i.e. what a POST created."""
        if not self.response_chunks or self.response_size > audit.MAX_BODY_BYTES:
            return None
        try:
            body = json.loads(b"".join(self.response_chunks))
        except ValueError:
            return None
        value = body.get("id") if isinstance(body, dict) else None
        return str(value)[:200] if isinstance(value, int | str) else None
