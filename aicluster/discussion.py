"""The discussion chapter's evidence table: the drivers of an AI cluster, district by district.

Each cell of the table says, in words, what the sources or the book's analyses show about one
driver in one district, and cites its evidence: claim ids from ``data/claims.csv`` (their values
are printed from the data, never typed here) or results computed by the earlier chapters (each
is pasted from the chapter that computes it with myst-nb's cross-document glue,
``{glue:text}`chapter.ipynb::key```, and links to the section that explains the computation).
The words carry no numbers, so every number in the table can be traced to a claim or a
computation.

The verdict column says how far the book's evidence goes:

- ``tested``: an analysis in this book puts the claim to a statistical test;
- ``illustrated``: the sources assert it and the data illustrate it, but nothing here tests it;
- ``open``: the sources say little or nothing; the row says what data would settle it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from . import indicators
from .display import md_literal

DISTRICTS = ("haidian", "mentougou", "shijingshan")
DISTRICT_HEADINGS = {"haidian": "Haidian 海淀", "mentougou": "Mentougou 门头沟",
                     "shijingshan": "Shijingshan 石景山"}
VERDICTS = {"tested": "Tested here", "illustrated": "Illustrated only", "open": "Open"}
_NUMBER_IN_WORDS = re.compile(r"\d")


@dataclass(frozen=True)
class Result:
    """A number computed and glued in an earlier chapter: ``source`` is ``notebook::glue key``
    (relative to the chapters folder), pasted with format spec ``fmt`` and ``unit`` after it;
    ``label`` is the section that explains the computation."""

    source: str
    text: str
    fmt: str
    unit: str
    label: str

    @property
    def notebook(self) -> str:
        return self.source.split("::", 1)[0]

    @property
    def key(self) -> str:
        return self.source.split("::", 1)[1]


@dataclass(frozen=True)
class Cell:
    text: str
    claims: tuple[str, ...] = ()
    results: tuple[Result, ...] = ()
    sections: tuple[str, ...] = ()  # labels of sections that show (map, table) without a number
    # ids of events (E…) and organisation links (L…) that report a fact without a number
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class Driver:
    key: str
    name: str
    cells: dict[str, Cell]
    verdict: str
    settle: str
    quote_zh: str = ""  # Wang Jici's words for the driver, verbatim from seed 004
    quote_en: str = ""


def claim_value(claim: pd.Series) -> str:
    """A claim's value as printed in the table, in the book's one notation for claims
    (`indicators.value_text`: '>12,000', '80–100', '≤50'), then the unit and a plan flag.
    Money written in 万元 or 亿元 is restated in million or billion yuan."""
    values = [float(claim["value"])]
    if pd.notna(claim.get("value_high")):
        values.append(float(claim["value_high"]))
    unit = claim["unit_en"]
    if claim["unit"] == "成":  # tenths: as a percentage, never the untranslated 成
        return indicators.amount_text(claim["value"], claim.get("value_high"), claim["qualifier"],
                                      claim["unit"], unit) + (
            " (plan)" if claim["status"] == "plan" else "")
    if claim["unit"] in indicators.YUAN_PER_UNIT:
        yuan = [indicators.to_yuan(v, claim["unit"]) for v in values]
        scale, unit = (1e9, "billion yuan") if max(yuan) >= 1e9 else (1e6, "million yuan")
        values = [v / scale for v in yuan]
    number = indicators.value_text(values[0], values[1] if len(values) > 1 else None,
                                   claim["qualifier"])
    plan = " (plan)" if claim["status"] == "plan" else ""
    if unit.startswith("rank"):  # "rank (1 = most firms)" reads as "rank 1 (1 = most firms)"
        return f"rank {number}{unit[len('rank'):]}{plan}"
    if unit in ("years", "firms", "months") and values == [1.0]:
        unit = unit[:-1]
    return f"{number} {unit}{plan}"


def claim_anchor(claim_id: str) -> str:
    """The label of a cited claim's entry in the chapter's list of cited claims."""
    return f"disc-claim-{claim_id.lower()}"


def cited_claim_ids(drivers: list[Driver]) -> list[str]:
    """Every claim id the table cites, in order of first citation."""
    seen: dict[str, None] = {}
    for driver in drivers:
        for district in DISTRICTS:
            for cid in driver.cells[district].claims:
                seen.setdefault(cid, None)
    return list(seen)


def cited_results(drivers: list[Driver]) -> list[Result]:
    """Every computed result the table cites, in order of first citation."""
    found: dict[str, Result] = {}
    for driver in drivers:
        for district in DISTRICTS:
            for res in driver.cells[district].results:
                found.setdefault(res.source, res)
    return list(found.values())


def stored_glue_keys(notebook: Path) -> set[str]:
    """The glue keys in a notebook's stored outputs (what other pages can paste from it)."""
    nb = nbformat.read(notebook, as_version=4)
    return {out["metadata"]["scrapbook"]["name"]
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if "scrapbook" in out.get("metadata", {})}


def check(drivers: list[Driver], claims: pd.DataFrame, chapters: Path | None = None) -> None:
    """Raise ValueError naming the driver and district of any cell that cites nothing, cites an
    unknown claim, types a number into its words, or (given the ``chapters`` folder) cites a
    result that its notebook does not glue."""
    known = set(claims["claim_id"])
    glued = {}
    if chapters is not None:
        for nb in {r.notebook for r in cited_results(drivers)}:
            path = Path(chapters) / nb
            glued[nb] = stored_glue_keys(path) if path.exists() else set()
    problems = []
    records = known_records() if any(c.records for d in drivers for c in d.cells.values()) else set()
    for driver in drivers:
        if driver.verdict not in VERDICTS:
            problems.append(f"{driver.key}: unknown verdict {driver.verdict!r}")
        if set(driver.cells) != set(DISTRICTS):
            problems.append(f"{driver.key}: needs exactly the cells {', '.join(DISTRICTS)}")
            continue
        for district, cell in driver.cells.items():
            where = f"{driver.key}/{district}"
            if not (cell.claims or cell.results or cell.sections or cell.records):
                problems.append(f"{where}: cites no claim, result or section")
            if _NUMBER_IN_WORDS.search(cell.text):
                problems.append(f"{where}: a digit in the words; cite the number instead")
            problems += [f"{where}: unknown claim {c}" for c in cell.claims if c not in known]
            problems += [f"{where}: unknown event or link {r}" for r in cell.records
                         if r not in records]
            if chapters is not None:
                problems += [f"{where}: {r.notebook} glues no {r.key!r}"
                             for r in cell.results if r.key not in glued[r.notebook]]
    if problems:
        raise ValueError("discussion table: " + "; ".join(problems))


# What a single cell's evidence amounts to, derived from what it cites (the row's verdict says how
# far the book's tests go): a mark and a word, so that the matrix reads at a glance, on a phone.
# (mark, the word in the matrix, the words in the caption and the details)
EVIDENCE = {"computed": ("●", "computed", "computed in this book"),
            "reported": ("◐", "reported", "reported by the sources"),
            "none": ("○", "none", "no claim or computation cited")}


def known_records() -> set[str]:
    """The ids of every event and organisation link (what a cell's records may cite)."""
    from . import evidence
    return (set(evidence.load_events()["event_id"])
            | set(evidence.load_organisations()["link_id"]))


def cell_evidence(cell: Cell) -> str:
    """'computed' if the cell cites a result computed in this book, 'reported' if it cites
    claims only, 'none' if it cites neither (at most a map or table that shows the absence)."""
    if cell.results:
        return "computed"
    return "reported" if cell.claims or cell.records else "none"


def _ref(label: str) -> str:
    # Figures are cited by number, sections by title.
    return f"{{numref}}`{label}`" if label.startswith("fig-") else f"{{ref}}`{label}`"


def _cell_markdown(cell: Cell, claims: pd.DataFrame) -> str:
    parts = [cell.text]
    for cid in cell.claims:
        claim = claims.loc[cid]
        parts.append(f"{{ref}}`{cid} <{claim_anchor(cid)}>`: {md_literal(claim_value(claim))}")
    for res in cell.results:
        value = f"{{glue:text}}`{res.source}:{res.fmt}`{res.unit}"
        parts.append(f"{md_literal(res.text)} {value} (computed in {_ref(res.label)})")
    if cell.records:
        parts.append("reported in " + ", ".join(cell.records))
    if cell.sections:
        parts.append("shown in " + ", ".join(_ref(label) for label in cell.sections))
    return "; ".join(parts)


def _mark(cell: Cell) -> str:
    mark, word, _ = EVIDENCE[cell_evidence(cell)]
    return f"{mark} {word}"


def table_markdown(drivers: list[Driver], claims: pd.DataFrame, chapters: Path | None = None) -> str:
    """The synthesis: a compact drivers × districts matrix (one mark per cell, the row's verdict),
    then, for each driver, the evidence behind its cells (claims with their values, results
    pasted from the chapters that compute them) in a block folded in the HTML book."""
    check(drivers, claims, chapters)
    by_id = claims.set_index("claim_id")
    legend = "; ".join(f"{mark} {words}" for mark, _, words in EVIDENCE.values())
    lines = ["```{list-table} Drivers of an AI cluster in three districts: the evidence for each "
             f"cell ({legend}) and how far the book's analyses go (verdict). The evidence "
             "follows the table.",
             ":header-rows: 1", ":widths: 32 17 17 17 17", ":class: disc-matrix",
             ":name: disc-drivers-table", "",
             "* - Driver", *[f"  - {DISTRICT_HEADINGS[d]}" for d in DISTRICTS],
             "  - Verdict"]
    for driver in drivers:
        lines.append(f"* - {driver.name}")
        lines += [f"  - {_mark(driver.cells[d])}" for d in DISTRICTS]
        lines.append(f"  - **{VERDICTS[driver.verdict].split()[0]}**")  # Tested, Illustrated, Open
    lines.append("```")
    for driver in drivers:
        lines += ["", f":::{{admonition}} {driver.name}: the evidence "
                      f"({VERDICTS[driver.verdict].lower()})",
                  ":class: dropdown disc-evidence", ""]
        lines += [f"- **{DISTRICT_HEADINGS[d]}** ({EVIDENCE[cell_evidence(driver.cells[d])][2]}): "
                  f"{_cell_markdown(driver.cells[d], by_id)}" for d in DISTRICTS]
        lines.append(":::")
    return "\n".join(lines)


def settle_markdown(drivers: list[Driver]) -> str:
    """What data would settle each driver, as a bulleted list."""
    return "\n".join(f"- **{d.name}** ({VERDICTS[d.verdict].lower()}): {d.settle}"
                     for d in drivers)


def cited_claims_markdown(drivers: list[Driver], claims: pd.DataFrame,
                          sources: pd.DataFrame) -> str:
    """One labelled paragraph per cited claim: value, verbatim quote, gloss and source."""
    by_id = claims.set_index("claim_id")
    src = sources.set_index("source_id")
    blocks = []
    for cid in cited_claim_ids(drivers):
        claim = by_id.loc[cid]
        s = src.loc[claim["source_id"]]
        blocks.append(
            f"({claim_anchor(cid)})=\n**{cid}** — {md_literal(claim_value(claim))}. "
            f"「{md_literal(claim['quote_zh'])}」 {md_literal(claim['gloss_en'])} "
            f"*{md_literal(s['outlet_en'])}*, {indicators.date_text(s['date'])}, "
            f"“{md_literal(s['title_en'])}”.")
    return "\n\n".join(blocks)


# -- the table's content -------------------------------------------------------------------------
# Results computed and glued by the earlier chapters (pasted by cross-document glue).
MEDIAN_DISTANCE = Result("haidian_buildings.ipynb::hd_med_m", "median distance, AI building to "
                         "nearest university or institute:", ",.0f", " m", "haidian-distances")
PROXIMITY_RATIO = Result("point_patterns.ipynb::prox_cluster_ratio", "distance to the nearest "
                         "institution relative to a fitted cluster process (ratio to its median):",
                         ".2f", "", "pp-tests")
PROXIMITY_P = Result("point_patterns.ipynb::prox_cluster_holm", "one-sided, Holm-adjusted p =",
                     ".3f", "", "pp-tests")
PROXIMITY_ROBUST = Result("point_patterns.ipynb::sens_prox_cluster_share", "copies with "
                          "coordinates moved within their precision that keep adjusted p < 0.05:",
                          ".0f", " %", "fig-pp-sensitivity")
CLARK_EVANS = Result("point_patterns.ipynb::ce_core_obs", "Clark–Evans R in the urban core:",
                     ".2f", "", "pp-tests")
CLARK_EVANS_P = Result("point_patterns.ipynb::ce_core_holm", "Holm-adjusted p =", ".3f", "",
                       "pp-tests")
L_TEST_P = Result("point_patterns.ipynb::l_core_holm", "L-function test in the core, "
                  "Holm-adjusted p =", ".3f", "", "pp-l-function")
PARK_DISTANCE = Result("mentougou.ipynb::mtg_dist_centroid_km", "Mentougou park to the centre of "
                       "Haidian's AI buildings:", ".1f", " km", "mtg-distance")

DRIVERS: list[Driver] = [
    Driver(
        "universities", "Top universities and institutes",
        quote_zh="顶尖学术资源是最重要的原因。",
        quote_en="Top academic resources are the most important reason.",
        cells={
            "haidian": Cell("Tsinghua, Peking University, Beihang and the CAS institutes sit "
                            "among the AI buildings", claims=("C111",),
                            results=(MEDIAN_DISTANCE, PROXIMITY_RATIO, PROXIMITY_P,
                                     PROXIMITY_ROBUST)),
            "mentougou": Cell("no university; the sources name a research institute on AI "
                              "safety and governance that landed recently, and, for the "
                              "medical strand, the national cardiovascular centre and Fuwai "
                              "Hospital's Xishan campus, with rich research and clinical "
                              "resources", records=("E036", "L003", "L016", "L023"),
                              sections=("mtg-distance",)),
            "shijingshan": Cell("the sources name none in Shijingshan's parks",
                                sections=("jx-heritage",)),
        },
        verdict="tested",
        settle="the proximity test uses building points whose coordinates are partly estimated; "
               "geocoded addresses of every AI firm (a firm registry) and of all office "
               "buildings would allow a null model drawn from office space, not open land."),
    Driver(
        "talent", "Talent",
        quote_zh="企业能挖到最稀缺的人:懂大模型、深度学习、算力与数据的在校学生、博士、教授和研究团队。",
        quote_en="Firms can recruit the scarcest people: students, PhDs, professors and research "
                 "teams who understand large models, deep learning, compute and data.",
        cells={
            "haidian": Cell("a large share of the country's top AI scholars, by the column's "
                            "own statement (not a count)", claims=("C111",)),
            "mentougou": Cell("offered by policy: a talent fund, rent-free and subsidised "
                              "apartments (policy terms, take-up not reported); one engineer's "
                              "short e-bike commute",
                              claims=("C072", "C073", "C067", "C068", "C071", "C047")),
            "shijingshan": Cell("the sources describe no talent measure", sections=("jx-plan",)),
        },
        verdict="illustrated",
        settle="where AI employees live and study (university graduate destinations, social "
               "insurance records by workplace) would show whether subsidies move people."),
    Driver(
        "face_to_face", "Face-to-face exchange within walking distance",
        quote_zh="步行就能面试,下楼就能交流",
        quote_en="You can walk to a job interview and go downstairs to exchange ideas.",
        cells={
            "haidian": Cell("the column names AI firms in some of the area's many buildings "
                            "and warns that its list is incomplete; one building has the most "
                            "firms on the subdistrict blue book's map; an institute calls the "
                            "area possibly China's smartest few square kilometres",
                            claims=("C119", "C116"),
                            results=(CLARK_EVANS, CLARK_EVANS_P, L_TEST_P)),
            "mentougou": Cell("the Ascend compute centre and the earliest biomedical incubator "
                              "are in the science park, by the sources' account",
                              claims=("C076", "C051"), sections=("mtg-map",)),
            "shijingshan": Cell("a converted factory hosts a first phase of digital firms",
                                claims=("C026",)),
        },
        verdict="tested",
        settle="the tests show where buildings are, not whether people meet; firm-level "
               "addresses, co-authorship or job-move records between firms would measure the "
               "exchange itself."),
    Driver(
        "new_rd_institutions", "New R&D institutions and platforms",
        quote_zh="北京智源人工智能研究院、北京通用人工智能研究院等新型研发机构是平台型、开放型的研究载体。",
        quote_en="New R&D institutions such as BAAI and BIGAI are open, platform-type research "
                 "carriers.",
        cells={
            "haidian": Cell("BAAI and BIGAI are among the mapped places",
                            sections=("haidian-map",)),
            "mentougou": Cell("the compute centre (three names, assumed here to be one "
                              "facility) is described as the first of its kind and as connected "
                              "to many organisations; a separate large-model service station is "
                              "one of Beijing's first two; an AI safety and governance institute "
                              "landed recently", claims=("C030", "C108", "C005")),
            "shijingshan": Cell("the sources name none", sections=("jx-heritage",)),
        },
        verdict="illustrated",
        settle="membership and usage data of the platforms (which firms use BAAI's models or "
               "the compute centre, from where) would show their reach."),
    Driver(
        "policy_scenarios", "Policy and open application scenarios",
        quote_zh="出台了专项计划,并开放了全域场景",
        quote_en="(The government) issued special plans and opened up application scenarios "
                 "across the whole area.",
        cells={
            "haidian": Cell("the Zhongguancun Science City 'Ten Articles' and two AI "
                            "innovation-district pilot zones", claims=("C122", "C124")),
            "mentougou": Cell("its own 'Ten Articles', a three-year AI action plan and three "
                              "chosen industries", claims=("C060", "C075", "C102")),
            "shijingshan": Cell("the West-Beijing plan's tasks and projects; its ZGC park is "
                                "to be upgraded", claims=("C020", "C021", "C039")),
        },
        verdict="illustrated",
        settle="policy is announced everywhere; only firm counts before and after each "
               "measure, by district and against comparable districts, could show an effect."),
    Driver(
        "compute", "Computing power",
        quote_zh="算力设施供给",
        quote_en="the supply of computing infrastructure (one focus of Haidian's Ten Articles)",
        cells={
            "haidian": Cell("a focus of the Ten Articles; the column gives no capacity",
                            claims=("C122",)),
            "mentougou": Cell("the district's signature: a government-guided, market-operated "
                              "centre (district, Zhongguancun Development Group, Huawei); levels "
                              "reported, and plans far beyond them whose outcome no source "
                              "reports", claims=("C077", "C080", "C082", "C003", "C109", "C110")),
            "shijingshan": Cell("the sources give no compute figure", sections=("jx-plan",)),
        },
        verdict="illustrated",
        settle="utilisation of the compute centre (hours sold, to whom, from where) would show "
               "whether capacity draws firms or merely serves remote users."),
    Driver(
        "parks_space", "Parks and office space",
        quote_zh="却未能止住中关村企业去深圳、东莞和惠州生产电子硬件产品的趋势",
        quote_en="(the government-built bases) failed to stop Zhongguancun firms going to "
                 "Shenzhen, Dongguan and Huizhou to make electronic hardware",
        cells={
            "haidian": Cell("government-built bases of the past are mapped; the column doubts "
                            "that parks alone hold firms", sections=("haidian-map",)),
            "mentougou": Cell("a science park with many registered firms, and firms in the "
                              "three industries attracted by the district's count",
                              claims=("C029", "C028", "C062", "C063")),
            "shijingshan": Cell("a machinery works reused as a park, a conversion begun before "
                                "the West-Beijing plan; Shougang Park is the core of the "
                                "district's science park", claims=("C026", "C023")),
        },
        verdict="illustrated",
        settle="registered is not present: office occupancy and employment by park would show "
               "how many of the registered firms work there."),
    Driver(
        "money", "Funds and subsidies",
        quote_zh="资本金融支持",
        quote_en="capital and financial support (another focus of the Ten Articles)",
        cells={
            "haidian": Cell("named as a focus, with no amount", claims=("C122",)),
            "mentougou": Cell("an industry guidance fund and a talent fund with a cap per "
                              "start-up", claims=("C058", "C072", "C073")),
            "shijingshan": Cell("no amount for Shijingshan; the West-Beijing plan's investment "
                                "figure covers both districts together", claims=("C036",)),
        },
        verdict="open",
        settle="fund portfolios and subsidy recipients, with the firms' later locations and "
               "sizes, would show what the money bought."),
    Driver(
        "location", "Location and access",
        quote_zh="",
        cells={
            "haidian": Cell("the reference point: the university quarter itself",
                            sections=("haidian-map",)),
            "mentougou": Cell("a little over half an hour from Tiananmen by the sources' "
                              "account, means of travel not stated",
                              claims=("C015",), results=(PARK_DISTANCE,)),
            "shijingshan": Cell("on the same western axis of Chang'an Avenue",
                                claims=("C015",)),
        },
        verdict="illustrated",
        settle="travel times by public transport between the parks and the university quarter, "
               "and commuting flows, would show whether the distance matters."),
]
