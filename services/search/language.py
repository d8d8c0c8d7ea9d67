"""Query understanding: how a buyer's words become what the engine looks for.

The engine asks ``plan_query(text, vocabulary)`` and gets a ``QueryPlan``: one group per
meaningful query word, each group the alternatives that satisfy that word (the word's own
analyzed term, spelling variants, synonyms, English equivalents, typo corrections), each
with a weight <= 1.0. A document matches when it matches at least one alternative of every
group (AND across groups, OR within a group). Both engines use the same plan.

This module owns language only; engines own matching, filtering and ranking.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

from services.search.analysis import query_terms


class Vocabulary(Protocol):
    """The terms an index holds, so a plan only proposes corrections that can match."""

    def __contains__(self, term: str) -> bool: ...

    def document_frequency(self, term: str) -> int: ...

    def terms(self) -> Iterable[str]: ...


@dataclass(frozen=True)
class Alternative:
    term: str  # an analyzed term, as the index stores it
    weight: float = 1.0  # 1.0 for the word itself; lower for synonyms and typo corrections
    kind: str = "exact"  # exact | variant | synonym | english | typo


@dataclass(frozen=True)
class QueryPlan:
    groups: list[list[Alternative]] = field(default_factory=list)
    region_hint: str | None = None  # "khas Muna" -> "7402": a region the buyer asked for
    corrected: str | None = None  # the query as the plan understood it, for "did you mean"

    @property
    def empty(self) -> bool:
        return not self.groups


def plan_query(text: str | None, vocabulary: Vocabulary | None = None) -> QueryPlan:
    """The simplest plan: each analyzed query term must match as it is."""
    return QueryPlan(groups=[[Alternative(term)] for term in query_terms(text)])
