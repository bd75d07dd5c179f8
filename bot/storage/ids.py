"""Draft ids: short enough to type from a Slack message into a terminal, and hard to mistype.

"ms-" and six characters of Crockford's base32 (no i, l, o or u), about a billion ids. The
store checks each new id against those it holds, so a collision costs only a retry.
"""

from __future__ import annotations

import secrets

PREFIX = "ms-"
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
LENGTH = 6

# Crockford's decoding: letters people confuse with digits read as those digits.
_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})


def new_draft_id() -> str:
    """A fresh random id such as "ms-7kq2vd"."""
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_draft_id(text: str) -> str:
    """The canonical form of an id as a person typed it: "MS-7KQ2VD", "7kq2vd", "ms-7kq2vO".

    Text that cannot be an id is returned trimmed and lower-cased, so a lookup fails with
    the text the person typed.
    """
    raw = text.strip().lower()
    body = raw.removeprefix(PREFIX).replace("-", "").translate(_LOOKALIKES)
    if len(body) == LENGTH and all(c in ALPHABET for c in body):
        return PREFIX + body
    return raw
