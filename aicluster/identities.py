"""Uncertain identity: names in the sources that the book ASSUMES denote one thing.

The sources name a Mentougou computing centre three ways (S001 中关村人工智能计算中心; S003
北京昇腾人工智能计算中心 and 京西智谷人工智能计算中心). The ledger keeps them as three organisations,
so that no claim silently changes subject; ``data/identities.csv`` states, pair by pair, that the
book assumes they are one facility, why, and that no source says so. Chapters that draw one series
through the three names use :func:`assumed_group` and must say that the series rests on this
assumption.

The table is described in :data:`IDENTITIES` (registered in ``evidence.SCHEMAS`` so that
``scripts/make_datapackage.py`` publishes it) and loaded with :func:`load_identities`, which checks
its cells with the evidence machinery and then that every entity is a known organisation or place,
that no pair links an entity to itself or repeats, and that the table is not empty.
"""
from __future__ import annotations

import pandas as pd

from . import evidence
from .evidence import EvidenceError, Problem, Ref, Table, opt, req

RELATIONS = ("assumed_same_facility",)
IDENTITIES = Table(
    "identities", "Assumed identities",
    "Pairs of entities (organisations or places) that the book assumes denote the same thing, "
    "with the reasoning; no source states the identity.", {
        "identity_id": req("Identity id.", pattern=r"I\d{3}"),
        "entity_a": req("An organisation or place id (organisations.org_id or places.place_id).",
                        pattern=r"[a-z][a-z0-9_]*"),
        "entity_b": req("The entity assumed to be the same as entity_a.",
                        pattern=r"[a-z][a-z0-9_]*"),
        "relation": req("What is assumed (assumed_same_facility).", enum=RELATIONS),
        "basis": req("Why the book assumes it, with the source words."),
        "note": opt("What would make the assumption wrong."),
    }, key=("identity_id",), unique=(("entity_a", "entity_b"),),
    refs=(Ref("entity_a", ("organisations.org_id", "places.place_id"), "organisation or place id"),
          Ref("entity_b", ("organisations.org_id", "places.place_id"), "organisation or place id")))
evidence.SCHEMAS.setdefault(IDENTITIES.name, IDENTITIES)


def _pair_problems(raw) -> list[Problem]:
    problems, seen = [], {}
    for i, row in enumerate(raw.rows):
        n = raw.row_number(i)
        a, b = row["entity_a"], row["entity_b"]
        if a == b:
            problems.append(Problem(raw.file, n, ("entity_b",),
                                    f"{b!r} is the same as entity_a (an entity is not assumed "
                                    "to be itself)"))
        pair = frozenset((a, b))
        if pair in seen:
            problems.append(Problem(raw.file, n, ("entity_a", "entity_b"),
                                    f"the pair {a!r}, {b!r} is already given in row {seen[pair]}"))
        seen.setdefault(pair, n)
    return problems


def _reference_problems(raw, ev: evidence.Evidence) -> list[Problem]:
    known = set(ev.organisations["org_id"]) | set(ev.places["place_id"])
    return [Problem(raw.file, raw.row_number(i), (col,), f"{row[col]!r} is not a known "
                                                           "organisation or place id")
            for i, row in enumerate(raw.rows) for col in ("entity_a", "entity_b")
            if row[col] not in known]


def load_identities(data_dir=None, ev: evidence.Evidence | None = None) -> pd.DataFrame:
    """The checked identities table; raises EvidenceError naming file, row and column."""
    raw = evidence._checked(IDENTITIES.name, data_dir)
    evidence._raise_if(_pair_problems(raw))
    ev = evidence.load_all(data_dir) if ev is None else ev
    evidence._raise_if(_reference_problems(raw, ev))
    return evidence._convert(raw)


def assumed_group(entity_id: str, identities: pd.DataFrame) -> list[str]:
    """`entity_id` and every entity assumed to be the same thing, through chains of pairs, in
    the order they are first reached (entity_id first). An entity with no pair is alone."""
    links: dict[str, list[str]] = {}
    for a, b in zip(identities["entity_a"], identities["entity_b"]):
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    group, frontier = [entity_id], [entity_id]
    while frontier:
        for other in links.get(frontier.pop(0), []):
            if other not in group:
                group.append(other)
                frontier.append(other)
    return group


def is_assumed_same(a: str, b: str, identities: pd.DataFrame) -> bool:
    """True when the book assumes (never: a source states) that a and b are one thing."""
    return b in assumed_group(a, identities)


__all__ = ["IDENTITIES", "RELATIONS", "EvidenceError", "assumed_group", "is_assumed_same",
           "load_identities"]
