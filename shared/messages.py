"""User-facing messages of the services: written in Indonesian, translated by the gateway.

A service writes every message a person reads (an error's ``message``, its per-field
``fields``, an import row's error or warning) through ``t``::

    raise _Invalid(t("paling banyak %(n)s karakter", n=max_len))

``t`` only fills the named placeholders, so what crosses RPC and the JSON API is the
finished Indonesian sentence, as before. The call marks the template for ``pybabel
extract`` (``babel.cfg`` declares ``t`` as a keyword for the service packages), so the
template lands in the gateway's catalog with its English translation. The gateway matches
a finished sentence back to its template and shows the English one in English mode
(``services/gateway/site/i18n.py``, ``translate_message``).

Rules: placeholders are named, ``%(name)s``, and hold values (numbers, names, ids) or
another message written through ``t`` (the gateway translates that one too); a literal
percent sign is ``%%``; a message is one whole sentence or phrase, never glued from pieces,
so that it can be matched and translated; a template is a literal string, so that
extraction finds it.
"""
from __future__ import annotations


def t(template: str, **values: object) -> str:
    """The Indonesian message: ``template`` with its ``%(name)s`` placeholders filled."""
    return template % values
