"""Board-export authors as keyed pseudonyms: countable, never stored by name."""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_PREFIX = "用户"


def pseudonym(key: str, source: str, author: str) -> str:
    """The same complainant on the same source always gets the same pseudonym.

    Exports name complainants by name, handle or phone number, which the store must not keep.
    Dropping the author would lose what the persistent-complaint signal counts: how many
    distinct people complain about one thing, and how often the same one comes back. A keyed
    digest keeps them apart without the name; the key (the product's secret key) keeps anyone
    from confirming a guessed name by hashing it, and the source in the digest keeps one
    person's pseudonyms on two sources from being joined.
    """
    digest = hmac.new(key.encode(), f"{source}\0{author}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:10]
