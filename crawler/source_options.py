"""The parts of a source's configuration that several kinds share: how requests are sent, what a
login wall looks like, how times are read, and how a JSON record or a table row maps to a post.

Every model forbids keys it does not know, so a misspelt key is an error naming the key when
the file is loaded, never a setting silently ignored. `yuqing sources schema` prints these
models, field by field, from their descriptions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# An environment variable's name: what the YAML holds instead of a secret.
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestOptions(Options):
    """How a source's requests are sent. Method and body go with the entry request (the feed,
    list, API or export URL) and a listing's further pages; headers and cookies with every
    request to the entry URL's host (detail pages need the login cookie too). Secrets are
    never written in the file: `headers_from_env` and `cookies_from_env` name environment
    variables."""

    method: Literal["GET", "POST"] = Field(default="GET", description="HTTP method.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Headers sent as written (Referer, X-Requested-With)."
    )
    headers_from_env: dict[str, EnvName] = Field(
        default_factory=dict,
        description="Header name -> environment variable holding its value (tokens).",
    )
    cookies_from_env: dict[str, EnvName] = Field(
        default_factory=dict,
        description="Cookie name -> environment variable holding its value (a login cookie).",
    )
    form: dict[str, str] | None = Field(
        default=None, description="POST body as a form; a page or cursor parameter goes here."
    )
    json_body: dict[str, Any] | None = Field(
        default=None,
        alias="json",
        description="POST body as JSON; a page or cursor parameter goes here.",
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _body_needs_post(self) -> RequestOptions:
        if self.form is not None and self.json_body is not None:
            raise ValueError("give form or json, not both")
        if (self.form is not None or self.json_body is not None) and self.method != "POST":
            raise ValueError("a form or json body needs method: POST")
        return self


class AuthFailure(Options):
    """What a login wall or an expired credential looks like; any one condition is enough.
    The run then ends with status `auth_required` and the reply's body is kept beside the
    quarantine."""

    statuses: list[int] = Field(
        default_factory=list, description="HTTP statuses that mean login needed (401, 403)."
    )
    body_contains: list[str] = Field(
        default_factory=list, description="Text whose presence in the body means login needed."
    )
    json_equals: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted path -> value in a JSON reply, e.g. {ok: -100} for m.weibo.cn.",
    )
    redirect_contains: list[str] = Field(
        default_factory=list,
        description="Text in a redirect's target that means login needed (passport.weibo).",
    )

    @model_validator(mode="after")
    def _something(self) -> AuthFailure:
        if not (self.statuses or self.body_contains or self.json_equals or self.redirect_contains):
            raise ValueError("auth_failure needs at least one condition")
        return self


class TimeOptions(Options):
    """How times in one field or column are read, beyond the formats every source knows."""

    time_formats: list[str] = Field(
        default_factory=list,
        description="strptime patterns tried in order before the built-in formats"
        ' (e.g. "%m/%d/%Y %H:%M").',
    )
    dayfirst: bool | None = Field(
        default=None,
        description="For dates with the year last (05/06/2016): true reads day/month,"
        " false month/day. Unset, the source's setting applies.",
    )

    @field_validator("time_formats")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if "%" not in pattern:
                raise ValueError(f"{pattern!r} is not a strptime pattern (no % directive)")
        return value


# Every post field a JSON record or a table row can fill, and what it means.
MAPPABLE_FIELDS: dict[str, str] = {
    "id": "the source's own id of the item (the post id is the source name plus it)",
    "case_no": "work-order number (hotline); also the id when no id is mapped",
    "url": "link to the item",
    "title": "title or subject",
    "text": "body text (HTML is reduced to text; emoticon images keep their alt code)",
    "author": "author's name (board exports: pseudonymised)",
    "author_verified": "whether the author is a verified account",
    "published_at": "publication or receipt time",
    "region": "district or place the item is about",
    "category": "the source's own category",
    "channel": "how it came in (phone, web, app)",
    "assigned_department": "department the item was assigned to",
    "status": "handling status",
    "deadline": "handling deadline",
    "reposts": "repost count",
    "comments": "comment count",
    "likes": "like count",
    "reply": "official reply text",
    "replied_at": "time of the official reply",
    "reply_department": "department that replied",
    "repost_of": "the original of a repost: its record (JSON) or its id",
    "reply_to": "id of the item this one answers (a comment's status, a board message)",
}
TIME_FIELDS = frozenset({"published_at", "deadline", "replied_at"})
LINK_FIELDS = frozenset({"repost_of", "reply_to"})


class Mapped(TimeOptions):
    """A field mapped with options: where its value is, how its times read, whose id it is."""

    at: str = Field(
        description="The dotted path (JSON) or the column header (tables) of the value."
    )
    source: str | None = Field(
        default=None,
        description="For repost_of and reply_to: the source whose id the value is"
        " (default: this source).",
    )


FieldMap = dict[str, str | Mapped]


def check_field_map(value: FieldMap, what: str, identity: tuple[str, str, str]) -> FieldMap:
    """An unknown field is an error that names it and the known ones; a mapping must give each
    item its identity (one of two fields, `identity`'s third part says why), a text or title,
    and a publication time."""
    unknown = sorted(set(value) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown {what} key {', '.join(map(repr, unknown))}; known keys:"
            f" {', '.join(MAPPABLE_FIELDS)}"
        )
    for name, spec in value.items():
        if isinstance(spec, Mapped):
            if spec.time_formats and name not in TIME_FIELDS:
                raise ValueError(f"{what} {name!r}: time_formats apply only to time fields")
            if spec.source is not None and name not in LINK_FIELDS:
                raise ValueError(f"{what} {name!r}: source applies only to repost_of, reply_to")
    first, second, why = identity
    needed = [
        (first in value or second in value, f"{first} or {second} ({why})"),
        ("text" in value or "title" in value, "text or title"),
        ("published_at" in value, "published_at"),
    ]
    missing = [need for present, need in needed if not present]
    if missing:
        raise ValueError(f"{what} must map {'; '.join(missing)}")
    return value


def where(spec: str | Mapped) -> str:
    """The path or header a mapped field reads."""
    return spec if isinstance(spec, str) else spec.at


class Pagination(Options):
    """How the next page of a JSON list is asked for."""

    type: Literal["page", "cursor"] = Field(description="A page number or a cursor.")
    param: str = Field(
        description="Query parameter (or body field, for POST) carrying the page or cursor."
    )
    start: int = Field(default=1, description="The first page's number.")
    next_cursor_path: str | None = Field(
        default=None, description="Dotted path of the next cursor in the reply."
    )
    has_more_path: str | None = Field(
        default=None, description="Dotted path of a flag that is false on the last page."
    )


class LongText(Options):
    """A detail endpoint that holds the full text of a post the list cuts short."""

    url_template: str = Field(
        description="The detail URL, with {id} (or any mapped field) filled in, e.g."
        " https://m.weibo.cn/statuses/extend?id={id}."
    )
    text_path: str = Field(description="Dotted path of the full text in the detail reply.")
    when_path: str | None = Field(
        default=None,
        description="Dotted path of a flag in the item saying its text is cut (isLongText);"
        " unset, any text ending in a truncation mark is followed.",
    )


class JsonListing(Options):
    """A JSON API that lists items, page by page: microblogs, and boards that serve JSON."""

    api_url: str = Field(description="The list endpoint.")
    items_path: str = Field(description="Dotted path of the list in the reply (data.cards).")
    item_path: str | None = Field(
        default=None,
        description="Dotted path of the item inside each list entry (mblog); paths in `fields`"
        " starting with ../ are read from the entry itself.",
    )
    item_filter: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted path -> value an entry must have to be an item (card_type: 9).",
    )
    pagination: Pagination
    fields: FieldMap = Field(
        description="Post field -> dotted path in an item (or {at, time_formats, source})."
    )
    url_template: str | None = Field(
        default=None,
        description="The item's URL from its fields, e.g. https://m.weibo.cn/status/{id},"
        " when no url field is mapped or it is empty.",
    )
    long_text: LongText | None = None
    refresh_hours: float = Field(
        default=0,
        ge=0,
        le=24 * 30,
        description="Pages on past known items while they are younger than this, to update"
        " their likes, reposts and comments (unchanged text is not analysed again).",
    )

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: FieldMap) -> FieldMap:
        return check_field_map(
            value, "fields", identity=("id", "url", "so that a re-crawl finds the item")
        )


class TableExport(Options):
    """An export file (CSV, XLSX, JSON), fetched from `url` or imported with `yuqing import`."""

    url: str | None = Field(default=None, description="An HTTP endpoint serving the export.")
    format: Literal["csv", "xlsx", "json"] = Field(
        default="csv", description="Used when neither the content nor the file name tells."
    )
    encoding: str | None = Field(default=None, description="For CSV; detected when absent.")
    sheets: list[str] | Literal["all"] | None = Field(
        default=None,
        description="XLSX sheets to read: names, or all; unset, the active sheet only.",
    )
    columns: FieldMap = Field(
        description="Post field -> column header (or {at, time_formats, source})."
    )

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: FieldMap) -> FieldMap:
        return check_field_map(value, "columns", identity=("id", "case_no", "each row's number"))
