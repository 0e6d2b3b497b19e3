"""The sources file described from the models that validate it: every key a kind accepts, with
its type, default and meaning (`yuqing sources schema`), and validation errors that name the
source, the key and, for an unknown key, the keys that are known there (`yuqing sources check`).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from crawler.sources import (
    BoardSource,
    HotlineSource,
    MicroblogSource,
    NewsSource,
    SourceBase,
    SourcesFile,
)

KINDS: dict[str, type[BaseModel]] = {
    "news": NewsSource,
    "board": BoardSource,
    "microblog": MicroblogSource,
    "hotline": HotlineSource,
}


# ---- errors ---------------------------------------------------------------------------------


def describe_errors(exc: ValidationError, data: Any) -> str:
    """Every problem on one line each: which source, which key, what is wrong."""
    return "\n".join(_problem(error, data) for error in exc.errors())


def _problem(error: Any, data: Any) -> str:
    loc = tuple(error["loc"])
    place = _place(loc, data)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = ", ".join(_keys(model)) if model is not None else "?"
        return f"{place}: unknown key {loc[-1]!r}; known keys here: {known}"
    return f"{place}: {message}"


def _place(loc: tuple[Any, ...], data: Any) -> str:
    """ "source demo-weibo (microblog), fields.titel" for ('sources', 3, 'microblog', ...)."""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        entries = data.get("sources") if isinstance(data, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"source {name}" if name else f"source #{loc[1] + 1}"
        rest = list(loc[2:])
        if rest and rest[0] in KINDS:
            label += f" ({rest.pop(0)})"
        return f"{label}, {'.'.join(map(str, rest))}" if rest else label
    return ".".join(map(str, loc)) or "the file"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc`, walking the file's models."""
    current: Any = SourcesFile
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    models = _models_in(current)
    return models[0] if len(models) == 1 else None


def _step(annotation: Any, part: Any) -> Any:
    for model in _models_in(annotation):
        if isinstance(part, str) and part in model.model_fields:
            return model.model_fields[part].annotation
        if part in KINDS and model is SourcesFile:
            return None
    if part in KINDS:
        return KINDS[part]
    for inner in _unwrapped(annotation):
        origin = get_origin(inner)
        if origin is list and isinstance(part, int):
            return get_args(inner)[0]
        if origin is dict:
            return get_args(inner)[1]
    return None


def _unwrapped(annotation: Any) -> list[Any]:
    """The alternatives of an optional, union or annotated type."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrapped(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [alt for arg in get_args(annotation) for alt in _unwrapped(arg)]
    return [annotation]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    models = []
    for alt in _unwrapped(annotation):
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            models.append(alt)
        elif get_origin(alt) is list:
            models += _models_in(get_args(alt)[0])
        elif get_origin(alt) is dict:
            models += _models_in(get_args(alt)[1])
    return models


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


# ---- the schema -------------------------------------------------------------------------------


def schema_text(kind: str | None = None) -> str:
    """Every key of the named kind (or of every kind), nested options indented under theirs."""
    kinds = [kind] if kind else list(KINDS)
    blocks = []
    for name in kinds:
        model = KINDS[name]
        lines = [f"kind: {name}", *_doc_lines(model, "  ")]
        lines += _fields(model, "  ", seen=set())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _fields(model: type[BaseModel], indent: str, seen: set[type[BaseModel]]) -> list[str]:
    lines = []
    # The keys every kind shares first, then the kind's own.
    shared = [n for n in SourceBase.model_fields if n in model.model_fields]
    names = shared + [n for n in model.model_fields if n not in shared]
    for name in names:
        field = model.model_fields[name]
        key = field.alias or name
        if key == "kind":
            continue
        lines.append(f"{indent}{key}: {_type_name(field.annotation)}{_default(field)}")
        if field.description:
            lines.append(f"{indent}    {field.description}")
        for inner in _models_in(field.annotation):
            if inner in seen:
                continue
            lines += _doc_lines(inner, indent + "    ")
            lines += _fields(inner, indent + "    ", seen | {inner})
        if name in ("fields", "columns"):
            lines += _mappable(indent + "    ")
    return lines


def _mappable(indent: str) -> list[str]:
    from crawler.source_options import MAPPABLE_FIELDS

    lines = [f"{indent}post fields that can be mapped:"]
    lines += [f"{indent}  {name}: {meaning}" for name, meaning in MAPPABLE_FIELDS.items()]
    return lines


def _doc_lines(model: type[BaseModel], indent: str) -> list[str]:
    doc = (model.__doc__ or "").strip()
    if not doc or model.__doc__ == BaseModel.__doc__:
        return []
    return [f"{indent}# {' '.join(doc.split())}"]


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "  (required)"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return ""
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return ""
    return f"  = {value!r}" if value not in (None, [], {}) else ""


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in get_args(annotation))
    if origin is Literal:
        return " | ".join(repr(arg) for arg in get_args(annotation))
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in get_args(annotation))}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "{...}"
    return getattr(annotation, "__name__", str(annotation))
