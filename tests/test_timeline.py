"""The broken time axis, label stacking and timeline items (aicluster.timeline)."""
import re

import matplotlib.text
import numpy as np
import pytest

from aicluster import evidence, style, timeline

AXIS = timeline.BrokenTimeAxis((950, 1950, 2010, 2019, 2027), (0.07, 0.10, 0.11, 0.72))


@pytest.fixture(scope="module")
def ev():
    return evidence.load_all()


def test_axis_round_trip_and_monotone():
    t = np.array([900, 950, 958, 1500, 1958, 2010.5, 2023.25, 2027, 2030])
    u = AXIS.forward(t)
    assert np.all(np.diff(u) > 0)
    np.testing.assert_allclose(AXIS.inverse(u), t, atol=1e-9)
    assert AXIS.forward(950) == 0 and AXIS.forward(2027) == pytest.approx(1)


def test_axis_gives_recent_years_most_of_the_width():
    assert AXIS.share(2012, 2027) > 0.6
    # ...while a linear axis from 950 would give them under 2 %.
    assert (2027 - 2012) / (2027 - 950) < 0.02


@pytest.mark.parametrize("breaks,widths", [
    ((2000, 1990), (1.0,)), ((1, 2, 3), (0.5, 0.6)), ((1, 2), (0.5, 0.5)), ((1, 2, 3), (1.0, 0.0))])
def test_axis_rejects_bad_definitions(breaks, widths):
    with pytest.raises(ValueError):
        timeline.BrokenTimeAxis(breaks, widths)


def test_default_ticks_are_spaced():
    ticks = timeline.default_ticks(AXIS)
    assert set(AXIS.breaks) <= set(ticks)
    gaps = np.diff(AXIS.forward(ticks))
    interior = [t for t in ticks if t not in AXIS.breaks]
    assert interior and all(AXIS.share(a, b) > 0 for a, b in zip(ticks[:-1], ticks[1:]))
    assert gaps.min() > 0.02


def test_stacking_separates_overlaps_only():
    levels = timeline.stack_levels([0.0, 0.01, 0.02, 0.5], [0.05, 0.06, 0.07, 0.55])
    assert list(levels) == [0, 1, 2, 0]
    # A later item reuses the lowest free level.
    assert list(timeline.stack_levels([0, 0.01, 0.1], [0.05, 0.2, 0.15])) == [0, 1, 0]


def test_event_items_follow_date_precision_and_status(ev):
    items = timeline.event_items(ev.events).set_index("item_id")
    assert items.loc["E001", "t_start"] == 958 and items.loc["E001", "t_end"] == 959
    e003 = items.loc["E003"]  # May 1958
    assert e003["t_start"] == pytest.approx(1958 + 120 / 365) and e003["t_end"] < 1958.42
    planned = set(ev.events.loc[ev.events["status"] == "planned", "event_id"])
    assert set(items.index[items["hollow"]]) == planned and planned
    assert items.loc["E030", "colour"] == timeline.CATEGORY_STYLE["compute"][0]


def test_colours_are_okabe_ito_and_distinct():
    colours = [c for c, _, _ in timeline.CATEGORY_STYLE.values()]
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(style.PALETTE.values())
    assert set(timeline.CATEGORY_STYLE) == set(evidence.EVENT_CATEGORIES)


def test_event_items_need_the_short_titles(ev):
    items = timeline.event_items(ev.events).set_index("item_id")
    assert items.loc["E030", "title"] == "Computing centre reaches 400P"
    with pytest.raises(ValueError, match="title_short_en"):
        timeline.event_items(ev.events.drop(columns="title_short_en"))


def test_draw_refuses_to_drop_items(ev):
    items = timeline.event_items(ev.events, lane="area_id")
    fig, ax = __import__("matplotlib.pyplot").pyplot.subplots()
    with pytest.raises(ValueError, match="beijing"):
        timeline.draw(ax, items, AXIS, ["mentougou", "haidian", "shijingshan", "jingxi"])


def _mentougou_figure(ev, **kw):
    events = ev.events[ev.events["area_id"] == "mentougou"]
    items = timeline.event_items(events)
    lanes = [c for c in timeline.CATEGORY_STYLE if c in set(items["lane"])]
    labels = {c: timeline.CATEGORY_STYLE[c][2] for c in lanes}
    return events, timeline.timeline_figure(items, timeline.BOOK_AXIS, lanes, lane_labels=labels,
                                            categories=lanes, **kw)


def test_timeline_figure_titles_every_event_never_by_id_and_is_deterministic(ev):
    def make():
        events, fig = _mentougou_figure(ev)
        texts = {t.get_text() for t in fig.axes[0].texts}
        return style.png_bytes(fig), texts, events

    png1, texts, events = make()
    png2, _, _ = make()
    kept = timeline.one_per_event(events)
    # each event is labelled with the short title written for it in the data, never cut
    assert set(kept["title_short_en"]) <= texts
    assert not any(t.endswith("…") for t in texts)
    assert not any(re.fullmatch(r"[EC]\d{3}.*", t) for t in texts)
    assert "算力" in texts and "煤炭与钢铁" in texts
    assert png1 == png2


def test_timeline_text_is_at_least_8_pt_at_print_width(ev):
    _, fig = _mentougou_figure(ev)
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert texts and min(t.get_fontsize() for t in texts) >= style.MIN_PRINT_PT
    png = style.png_bytes(fig)
    width_px = int.from_bytes(png[16:20], "big")  # IHDR width
    # Printed at 100 %: no wider than the PDF's text width (a little slack for the tight bbox).
    assert width_px / style.DPI <= style.PRINT_WIDTH_IN + 0.15


def test_untitled_lane_is_packed(ev):
    items = timeline.event_items(ev.events[ev.events["area_id"] == "mentougou"], lane="area_id")
    rows = timeline.lane_rows(items.sort_values(["t_start", "item_id"]), False, 3.1,
                              timeline.BOOK_AXIS)
    assert rows.max() + 1 < len(items)
    assert list(timeline.lane_rows(items, True, 3.1, timeline.BOOK_AXIS)) == list(range(len(items)))


def test_the_mine_closure_is_one_event(ev):
    dup = timeline.duplicate_of(ev.events)
    assert dup == {"E016": "E014"}
    kept = timeline.one_per_event(ev.events)
    assert len(kept) == len(ev.events) - 1 and "E014, E016" in set(kept["event_id"])
    # Same date, area and category but different events are kept apart.
    assert {"E017", "E018", "E036", "E037"} <= set(kept["event_id"])


@pytest.mark.parametrize("title,expected", [
    ("Datai, Beijing's last coal mine, closes; Mentougou's coal mining ends",
     "Datai, Beijing's last coal mine, closes"),
    ("Shilong Zone founded (predecessor of the park)", "Shilong Zone founded"),
    ("x" * 10 + " " + "y" * 60, "x" * 10 + "…"),
    ("a" * 48, "a" * 48),
])
def test_short_title(title, expected):
    assert timeline.short_title(title) == expected
    assert len(timeline.short_title(title)) <= timeline.SHORT_TITLE_CHARS


def test_legend_says_what_filled_and_hollow_mean():
    labels = [h.get_label() for h in timeline.legend_handles([], planned=True, claims=True)]
    assert any("filled" in x and "happened" in x for x in labels)
    assert any("hollow" in x and "plan" in x for x in labels)


def test_claim_items_are_diamonds_and_plans_hollow(ev):
    from aicluster import indicators
    s = indicators.series(ev.claims, ["C026", "C109"])
    items = timeline.claim_items(s, lane="x")
    assert list(items["marker"]) == ["D", "D"] and list(items["hollow"]) == [False, True]


def test_event_table_and_recent_share(ev):
    table = timeline.event_table(ev.events)
    assert table.loc[0, "Date"] == "958" and len(table) == len(ev.events) - 1
    planned = table[table["Title"].str.startswith("(planned)")]
    assert set(planned["Event"]) == set(ev.events.loc[ev.events["status"] == "planned", "event_id"])
    assert table["Title"].str.contains("·").all()
    share = timeline.share_recent(ev.events, 2012)
    kept = timeline.one_per_event(ev.events)
    manual = np.mean([int(d[:4]) >= 2012 for d in kept["date"]])
    assert share == pytest.approx(manual) and 0.5 < share < 1


def test_category_labels_are_words():
    assert timeline.category_label("coal_steel") == "Coal and steel (煤炭与钢铁)"
    assert all("_" not in timeline.category_label(c) for c in timeline.CATEGORY_STYLE)


def test_year_labels_on_the_time_axis_keep_a_space_apart():
    """On the book's broken axis the first segment (950-1950) is narrow: at 9 % of the axis
    width its two year labels touched ("950 1950"); the figure now refuses that."""
    import matplotlib

    matplotlib.use("Agg")
    from aicluster import evidence

    items = timeline.event_items(evidence.load_all().events, lane="category")
    timeline.timeline_figure(items)  # the book's axis: no error
    narrow = timeline.BrokenTimeAxis(breaks=(950, 1950, 2010, 2019, 2027),
                                     widths=(0.09, 0.12, 0.12, 0.67))
    with pytest.raises(ValueError, match="'950' and '1950'"):
        timeline.timeline_figure(items, narrow)
