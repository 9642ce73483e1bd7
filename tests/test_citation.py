"""CITATION.cff is valid Citation File Format 1.2.0 and agrees with the book's configuration.

The schema is the official CFF 1.2.0 JSON schema, vendored in tests/schemas/ (copied from the
cffconvert 2.0.0 package, which cannot be installed next to this environment's jsonschema 4).
"""
import copy
import datetime
import json

import jsonschema
import pytest
import yaml

from conftest import ROOT

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "cff-1.2.0.schema.json").read_text(encoding="utf-8"))


def _stringify_dates(value):
    """YAML reads dates as date objects; the schema (as its own comment says) wants strings."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    return value


def _errors(cff):
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return sorted(e.message for e in validator.iter_errors(cff))


@pytest.fixture(scope="module")
def cff():
    return _stringify_dates(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8")))


def test_citation_cff_is_valid(cff):
    assert cff["cff-version"] == "1.2.0"
    assert _errors(cff) == []


def test_validation_can_fail(cff):
    broken = copy.deepcopy(cff)
    del broken["authors"]
    broken["license"] = "CC-BY"  # not an SPDX identifier
    errors = _errors(broken)
    assert any("authors" in e for e in errors), errors
    assert len(errors) >= 2, errors


def test_citation_matches_the_book(cff):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cff["title"] == config["title"]
    assert cff["repository-code"] == config["repository"]["url"]
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "Attribution 4.0 International" in (ROOT / "LICENSE-TEXT.md").read_text(encoding="utf-8")
