"""Reading the YAML files in `config/`: one place for the loader and for the error a bad file
gives, so every file the office edits fails the same readable way."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import yaml
from pydantic import BaseModel, ValidationError

from core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

if TYPE_CHECKING:
    # mypy sees SafeLoader; CSafeLoader shares its SafeConstructor and Resolver, all used here
    _SafeLoader = yaml.SafeLoader
else:
    # libyaml's parser when PyYAML was built with it (several times faster on the larger files)
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_SafeLoader):
    """A safe loader that refuses a key written twice in one mapping (PyYAML keeps the last),
    and keeps dates as text, so that the model's own parser can name a bad one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is written twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: UniqueKeyLoader, node: yaml.Node) -> str:
    """A date or time as the text written (SafeLoader's constructor for strings)."""
    return loader.construct_yaml_str(node)


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def read_yaml(path: Path, what: str) -> Any:
    """The parsed file (an empty file is `{}`); `what` names it in errors ("sources file")."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc


def load_model(
    path: Path,
    model: type[M],
    what: str,
    where: Callable[[tuple[int | str, ...], Any], str] | None = None,
) -> M:
    """The file validated as `model`; every problem is named in one `ConfigError`.

    `where` turns an error's location into words (default: dotted path).
    """
    data = read_yaml(path, what)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        name = where or (lambda loc, _data: ".".join(str(p) for p in loc))
        problems = "; ".join(f"{name(err['loc'], data)}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


_loaded: dict[tuple[Callable[[Path], Any], Path], tuple[float, Any]] = {}
_NO_DEFAULT: Any = object()


@overload
def load_when_changed(path: Path, loader: Callable[[Path], T]) -> T: ...


@overload
def load_when_changed(path: Path, loader: Callable[[Path], T], missing: T) -> T: ...


def load_when_changed(path: Path, loader: Callable[[Path], T], missing: T = _NO_DEFAULT) -> T:
    """`loader(path)`, read again only when the file's modification time changed. For a file
    that does not exist: `missing` when given, else the loader's own error. For settings files
    read by long-running jobs and on every request."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return loader(path) if missing is _NO_DEFAULT else missing
    cached = _loaded.get((loader, path))
    if cached is not None and cached[0] == mtime:
        return cast(T, cached[1])
    value = loader(path)
    _loaded[(loader, path)] = (mtime, value)
    return value
