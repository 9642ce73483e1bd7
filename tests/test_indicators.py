"""Claim series, periods, money conversion and tables (aicluster.indicators)."""
import re
import numpy as np
import pytest

from aicluster import evidence, indicators


@pytest.fixture(scope="module")
def claims():
    return evidence.load_all().claims


@pytest.mark.parametrize("text,start,end", [
    ("2023", 2023, 2024), ("2023-12", 2023 + 334 / 365, 2024), ("2024-02-29", 2024 + 59 / 366, 2024 + 60 / 366),
    ("0958", 958, 959)])
def test_partial_date_span(text, start, end):
    assert indicators.partial_date_span(text) == pytest.approx((start, end))


def test_partial_date_span_rejects_garbage():
    with pytest.raises(ValueError):
        indicators.partial_date_span("2023/12")


def test_period_span_intervals_and_future():
    assert indicators.period_span("2023..2025-04") == pytest.approx((2023, 2025 + 120 / 365))
    lo, hi = indicators.period_span("..2015")
    assert np.isnan(lo) and hi == 2016
    assert all(np.isnan(indicators.period_span("future (unspecified)")))


@pytest.mark.parametrize("args,text", [
    ((100, None, "exact"), "100"), ((12000, None, "more_than"), ">12,000"),
    ((80, 100, "range"), "80–100"), ((48.26, None, "exact"), "48.26"), ((50, None, "up_to"), "≤50"),
    ((100, None, "nearly"), "<100"), ((2.5, None, "about"), "~2.5")])
def test_value_text(args, text):
    assert indicators.value_text(*args) == text


def test_series_keeps_order_ids_and_labels(claims):
    s = indicators.series(claims, ["C082", "C031", "C033"])
    assert list(s["claim_id"]) == ["C082", "C031", "C033"]
    assert list(s["label"]) == ["C082: 400", "C031: 100", "C033: 500–1,000"]
    assert s.loc[0, "t_mid"] == pytest.approx(2023 + (334 / 365 + 1) / 2)
    assert np.isnan(s.loc[2, "t_mid"])  # 'future (unspecified)'


def test_series_names_missing_ids(claims):
    with pytest.raises(KeyError, match="C999"):
        indicators.series(claims, ["C031", "C999"])


def test_select_by_indicator_pattern(claims):
    compute = indicators.select(claims, indicator=r".*compute_capacity")
    assert set(compute["claim_id"]) >= {"C003", "C031", "C082", "C109", "C110"}
    centre = indicators.select(claims, indicator="ai_compute_capacity",
                               entity_id="org_jingxi_zhigu_ai_computing_centre")
    assert set(centre["claim_id"]) == {"C080", "C082"}


def test_to_yuan():
    assert indicators.to_yuan(10.1, "亿元") == pytest.approx(1.01e9)
    assert indicators.to_yuan(5000, "万元") == pytest.approx(5e7)
    with pytest.raises(ValueError):
        indicators.to_yuan(3, "家")


def test_money_table_in_million_yuan(claims):
    t = indicators.money_table(claims, ["C058", "C072", "C073", "C059"], {"C058": "Guidance fund"})
    assert list(t["Million yuan"]) == ["1,010", "50", "≤0.5", ">100"]
    assert t.loc[0, "What"] == "Guidance fund" and list(t["Claim"])[0] == "C058"


def test_subsidy_schedule(claims):
    degrees = {"PhD": "C068", "Master": "C069", "Bachelor": "C070"}
    table = indicators.subsidy_schedule(claims, "C067", degrees, "C071")
    assert list(table["Year 2"]) == ["80 % (C068)", "70 % (C069)", "60 % (C070)"]
    shares = indicators.shares_by_year(claims, "C067", degrees, "C071")
    assert shares.loc["PhD"].tolist() == [100, 80, 50]
    assert (shares.diff(axis=1).iloc[:, 1:] <= 0).all().all()  # support only falls


def test_subsidy_schedule_checks_the_free_year(claims):
    with pytest.raises(ValueError, match="C070"):
        indicators.subsidy_schedule(claims, "C070", {"PhD": "C068"}, "C071")


def test_plot_points_labels_each_claim(claims):
    s = indicators.series(claims, ["C031", "C082", "C109", "C033"])
    fig, ax = indicators.new_figure()
    indicators.plot_points(ax, s, undated_x=2027.5)
    texts = {t.get_text() for t in ax.texts}
    assert {"C031: 100", "C082: 400", "C109: 1,000", "C033: 500–1,000"} <= texts
    # plans are hollow: a white face
    faces = [line.get_markerfacecolor() for line in ax.lines if line.get_marker() == "o"]
    assert "white" in faces


def test_plot_points_needs_a_place_for_undated(claims):
    fig, ax = indicators.new_figure()
    with pytest.raises(ValueError, match="C033"):
        indicators.plot_points(ax, indicators.series(claims, ["C033"]))


def test_claims_table(claims):
    t = indicators.claims_table(indicators.series(claims, ["C029", "C103"]), {"mentougou": "Mentougou"})
    assert list(t["Claim"]) == ["C029", "C103"]
    assert t.loc[0, "Value"] == ">12,000 firms" and t.loc[1, "Qualifier"] == "nearly (近)"
    assert t.loc[0, "As written"] == claims.set_index("claim_id").loc["C029", "value_in_quote"]
    assert t.loc[1, "About"] == "Mentougou" and t.loc[0, "About"] != "mt_zgc_science_park"
    assert "Science Park" in t.loc[0, "About"]
    assert t.loc[0, "Measure"] == "Registered firms"
    assert "zjtx" not in t.loc[1, "Measure"] and "专精特新" in t.loc[1, "Measure"]


@pytest.mark.parametrize("period,text", [
    ("2023", "2023"), ("0958", "958"), ("2023-06", "June 2023"), ("2023-06-09", "9 June 2023"),
    ("2022-02..2023-06", "February 2022 to June 2023"),
    ("2023-02..2023-06", "February to June 2023"),
    ("2026-01..2026-02", "January to February 2026"),
    ("1368..1912", "1368 to 1912"), ("2023..2025-04", "2023 to April 2025"),
    ("..2006", "before 2007"), ("..2023-12", "before January 2024"),
    ("..2023-12-31", "before 1 January 2024"), ("..2024-02-28", "before 29 February 2024"),
    ("2023..", "from 2023"), ("future (unspecified)", "an unspecified future date"),
])
def test_period_text(period, text):
    assert indicators.period_text(period) == text


@pytest.mark.parametrize("bad", ["..", "2023-13", "soon", "2023/06"])
def test_period_text_rejects_garbage(bad):
    with pytest.raises(ValueError):
        indicators.period_text(bad)


def test_every_ledger_period_reads_as_words(claims):
    for period in claims["ref_period"]:
        text = indicators.period_text(period)
        assert ".." not in text and not re.search(r"\d{4}-\d{2}", text), (period, text)


@pytest.mark.parametrize("args,text", [
    ((3, None, "more_than", "成", "tenths (3成 = 30%)"), ">30 %"),
    ((3, None, "nearly", "成", "tenths (3成 = 30%)"), "<30 %"),
    ((220, None, "more_than", "亿元", "100 million yuan"), ">22 billion yuan"),
    ((500, None, "exact", "万元", "10 thousand yuan"), "5 million yuan"),
    ((97, None, "exact", "家", "firms"), "97 firms"),
    ((1, None, "exact", "位次", "rank (1 = first)"), "rank 1"),
    ((60, None, "exact", "%", "percent"), "60 percent"),
    ((80, 100, "range", "家", "firms"), "80–100 firms"),
])
def test_amount_text(args, text):
    assert indicators.amount_text(*args) == text


def test_measure_and_qualifier_text():
    assert indicators.measure_text("ai_compute_capacity") == "AI compute capacity"
    assert indicators.qualifier_text("more_than", "超") == "more than (超)"
    assert indicators.qualifier_text("exact", float("nan")) == "exact"
    with pytest.raises(ValueError):
        indicators.qualifier_text("more_than_ever")


def test_status_codes_print_as_words():
    assert indicators.status_text("policy_term") == "policy term"
    assert indicators.status_text("achieved") == "achieved"
    assert set(indicators.STATUS_WORDS) == set(indicators.STATUS_LABELS)
