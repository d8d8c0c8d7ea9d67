import uuid


def unique_word(prefix: str) -> str:
    """A word no other product has, all letters (the analyzer splits letters from digits)."""
    return prefix + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])
