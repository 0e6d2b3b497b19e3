"""Secrets the product makes for itself, and whether one it is given is too easy to guess.

A secret nobody configured is made on first start and kept in a file of the data directory
that only its owner may read (`kept_secret`). Several processes may start at once (the workers
of `yuqing serve`, the scheduler, crawls): each writes a candidate to a file of its own and
links it into place, which fails if the file is there already, then reads the file back. So
every process uses the one value linked first, and none ever reads a half-written file.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from core.errors import ConfigError

# A secret key shorter than this, repeating a shorter string, or with fewer bits than this
# by its characters' frequencies is refused in production. 32 random hexadecimal characters
# score 93 to 125 bits; "passwordpassword…" 88, "aaaa…" none.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 90
# Production's admin password: at least this long, this many different characters, not only
# digits, and not a common password (with or without digits and symbols around it).
MIN_ADMIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_CHARACTERS = 5

# Passwords that head every leaked-password list, international and Chinese, and words an
# office would try first; compared in lower case, also with digits and symbols removed.
_COMMON_PASSWORDS = """
    password passw0rd p@ssw0rd p@ssword pass passwd secret changeme default welcome letmein
    admin administrator root toor guest user test tester demo login access system manager
    service support server oracle postgres mysql database computer internet master
    qwerty qwertyuiop qwertyui qwert asdf asdfgh asdfghjkl zxcvbn zxcvbnm qazwsx qazwsxedc
    1qaz2wsx 1qazxsw2 zaq12wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e 123qwe qwe123 abc
    abc123 abcd abcdef abcdefg abcdefgh abcdefghi abc123456 a123456 aa123456 qq123456
    iloveyou monkey dragon football baseball sunshine princess shadow superman batman
    trustno1 starwars whatever freedom hello charlie michael jennifer jordan hunter ranger
    buster soccer harley killer tigger
    woaini woaini1314 aini aiwo wangyi zhangwei wangwei liwei baidu taobao china zhongguo
    beijing shanghai zhengfu gov government office yuqing yuqingban jianglan
    123456 12345678 123456789 1234567890 123123 123321 654321 666666 888888 112233 121212
    159753 147258369 987654321 5201314 1314520 11111111 88888888 66666666 00000000
"""
COMMON_PASSWORDS = frozenset(_COMMON_PASSWORDS.split())


def make_secret_key() -> str:
    """A random secret for signing tokens: 48 bytes, URL-safe text."""
    return secrets.token_urlsafe(48)


def make_password() -> str:
    """A random password for an account made on first start."""
    return secrets.token_urlsafe(18)


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in `path`; made with `make` and kept there first (mode 0600) if the
    file does not exist yet. `ConfigError` if it cannot be read or written."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(make() + "\n")
                file.flush()
                os.fsync(file.fileno())
            # If another process was first, its secret is the one everybody uses.
            with contextlib.suppress(FileExistsError):
                os.link(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
        return _read(path)
    except OSError as exc:
        raise ConfigError(f"cannot keep a new secret in {path}: {exc}") from exc


def _read(path: Path) -> str:
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise ConfigError(f"{path} is empty; delete it to have a new secret made")
    return value


def estimated_bits(text: str) -> float:
    """The bits of entropy `text` would have if its characters were drawn independently with
    the frequencies they have in it: a generous upper bound for text a person made up."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())


def _repeats(text: str) -> bool:
    """Whether `text` is a shorter string written several times over."""
    return len(text) > 1 and text in (text + text)[1:-1]


def secret_key_weakness(secret: str, *, published: str) -> str | None:
    """Why `secret` is too easy to guess for signing tokens in production, or None."""
    if published.lower() in secret.lower():
        return "contains the value shipped in the code"
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        return f"has {len(secret)} characters, fewer than {MIN_SECRET_KEY_LENGTH}"
    if _repeats(secret):
        return "repeats a shorter string"
    bits = estimated_bits(secret)
    if bits < MIN_SECRET_KEY_BITS:
        return f"has about {bits:.0f} bits of entropy, fewer than {MIN_SECRET_KEY_BITS}"
    return None


def password_weakness(password: str) -> str | None:
    """Why `password` is too weak for the admin account in production, or None."""
    if len(password) < MIN_ADMIN_PASSWORD_LENGTH:
        return f"has fewer than {MIN_ADMIN_PASSWORD_LENGTH} characters"
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    if password.isdigit():
        return "has only digits"
    lower = password.lower()
    forms = {lower, "".join(ch for ch in lower if ch.isalpha()), lower.strip("0123456789")}
    if forms & COMMON_PASSWORDS:
        return "is a common password, or one with digits and symbols added"
    return None
