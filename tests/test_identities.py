"""data/identities.csv: the committed table loads and says what the book assumes (the three
computing-centre names are one facility, as an assumption); bad input is refused with an
EvidenceError naming the file, the row and the column."""
from __future__ import annotations

import csv
import io
import re
import shutil

import pytest

from aicluster import evidence, identities, paths

CENTRES = ("org_zgc_ai_computing_centre", "org_ascend_ai_computing_centre",
           "org_jingxi_zhigu_ai_computing_centre")


@pytest.fixture(scope="module")
def table():
    return identities.load_identities()


def test_the_three_centre_names_are_assumed_one_facility(table):
    for name in CENTRES:
        assert sorted(identities.assumed_group(name, table)) == sorted(CENTRES)
    assert set(table["relation"]) == {"assumed_same_facility"}
    assert all("inference" in note for note in table["note"])


def test_an_entity_without_a_pair_is_alone(table):
    assert identities.assumed_group("org_huawei", table) == ["org_huawei"]
    assert not identities.is_assumed_same("org_huawei", CENTRES[0], table)
    assert identities.is_assumed_same(CENTRES[0], CENTRES[2], table)


def test_claims_keep_the_name_their_source_uses():
    """No claim about a centre sits on another source's name: S001 claims on S001's name."""
    ev = evidence.load_all()
    on_centres = ev.claims[ev.claims["entity_id"].isin(CENTRES)]
    by_entity = on_centres.groupby("entity_id")["source_id"].agg(set).to_dict()
    assert by_entity == {CENTRES[0]: {"S001"}, CENTRES[1]: {"S003"}, CENTRES[2]: {"S003"}}


def test_the_table_is_in_the_data_package():
    package = (paths.DATA / "datapackage.json").read_text(encoding="utf-8")
    assert '"name": "identities"' in package


# -- bad input -----------------------------------------------------------------------------------
def _rows(d):
    with open(d / "identities.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(d, header, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    (d / "identities.csv").write_text(buf.getvalue(), encoding="utf-8")


def _set(column, value, row=0):
    def mutate(d):
        header, rows = _rows(d)
        assert rows[row][header.index(column)] != value  # the case really changes something
        rows[row][header.index(column)] = value
        _write(d, header, rows)
    return mutate


def _duplicate_swapped(d):
    header, rows = _rows(d)
    a, b = header.index("entity_a"), header.index("entity_b")
    extra = list(rows[0])
    extra[0], extra[a], extra[b] = "I999", rows[0][b], rows[0][a]
    _write(d, header, [*rows, extra])


@pytest.mark.parametrize("mutate, where", [
    (_set("entity_b", "org_nowhere"), "row 2, column 'entity_b': 'org_nowhere' is not a known"),
    (_set("entity_b", "org_zgc_ai_computing_centre"), "row 2, column 'entity_b': "
                                                       "'org_zgc_ai_computing_centre' is the same"),
    (_set("relation", "same_facility"), "row 2, column 'relation': 'same_facility' is not an "
                                        "allowed value"),
    (_set("basis", ""), "row 2, column 'basis': is empty but a value is required"),
    (_set("identity_id", "X1"), "row 2, column 'identity_id': 'X1' does not have the expected"),
    (_set("identity_id", "I002"), "row 3, column 'identity_id': duplicate id 'I002'"),
    (_duplicate_swapped, "row 4, columns 'entity_a', 'entity_b': the pair"),
], ids=["unknown-entity", "self", "relation", "no-basis", "bad-id", "duplicate-id", "swapped-pair"])
def test_bad_identities_are_refused_naming_row_and_column(tmp_path, mutate, where):
    d = tmp_path / "data"
    shutil.copytree(paths.DATA, d)
    mutate(d)
    with pytest.raises(evidence.EvidenceError, match=re.escape("identities.csv, " + where)):
        identities.load_identities(d)


def test_a_missing_table_is_named(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(paths.DATA, d)
    (d / "identities.csv").unlink()
    with pytest.raises(evidence.EvidenceError, match=r"identities\.csv: file not found"):
        identities.load_identities(d)
