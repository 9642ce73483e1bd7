"""aicluster.phrases: every generated sentence reads right at its current values and at the edge
values (0, 1, equal ends, 100 %)."""
import pytest

from aicluster import phrases


@pytest.mark.parametrize("n, expected", [(0, "0 clusters"), (1, "1 cluster"), (2, "2 clusters"),
                                         (1000, "1,000 clusters"), (1.0, "1 cluster")])
def test_count(n, expected):
    assert phrases.count(n, "cluster") == expected


def test_count_irregular_plural():
    assert phrases.count(1, "copy", "copies") == "1 copy"
    assert phrases.count(2, "copy", "copies") == "2 copies"


@pytest.mark.parametrize("low, high, expected", [
    (1, 1, "1 m in every case"), (1, 3, "from 1 to 3 m"), (0, 0, "0 m in every case"),
    (1.0004, 1.0, None)])
def test_span(low, high, expected):
    if expected is None:
        with pytest.raises(ValueError, match="above"):
            phrases.span(low, high, "m", digits=3)
        return
    assert phrases.span(low, high, "m") == expected


def test_span_equal_at_printed_precision():
    assert phrases.span(1.0001, 1.0002, digits=2) == "1.00 in every case"


@pytest.mark.parametrize("part, whole, expected", [
    (20, 20, "all 20 copies"), (0, 20, "none of the 20 copies"), (9, 20, "9 of 20 copies (45 %)"),
    (1, 1, "the only copy"), (0, 1, "not the only copy"), (1, 2, "1 of 2 copies (50 %)")])
def test_share(part, whole, expected):
    assert phrases.share(part, whole, "copy", "copies") == expected


@pytest.mark.parametrize("part, whole", [(3, 2), (-1, 2), (0, 0)])
def test_share_refuses_non_shares(part, whole):
    with pytest.raises(ValueError):
        phrases.share(part, whole, "copy")


def test_percent():
    assert phrases.percent(1, 3, 1) == "33.3 %"
    assert phrases.percent(3, 3) == "100 %"
    with pytest.raises(ValueError):
        phrases.percent(1, 0)


@pytest.mark.parametrize("f, words", [(0, "none"), (1, "all"), (0.95, "almost all"),
                                      (0.05, "almost none"), (0.5, "half"), (0.7, "most"),
                                      (0.3, "some")])
def test_fraction_words(f, words):
    assert phrases.fraction_words(f) == words


def test_fraction_words_refuses_out_of_range():
    with pytest.raises(ValueError):
        phrases.fraction_words(1.2)
