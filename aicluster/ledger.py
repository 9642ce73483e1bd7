"""Displaying the evidence tables in both books.

`Ledger` shows a DataFrame as one display object whose MIME bundle holds

- ``text/html``: a sortable, filterable table (click a column header to sort; type in the box to
  keep the rows containing the text). Its small script is inlined and reads the table from the
  page, so nothing is fetched from the network and no data is placed inside a script; cell text
  is HTML-escaped; element ids come from the caller (no random ids, byte-identical reruns);
- ``text/markdown``: a MyST ``list-table`` with explicit column widths, which myst-nb's LaTeX
  builder renders as a ``longtable`` whose columns wrap (its builder ignores ``text/html``);
  cell text is Markdown-escaped;
- ``text/plain``: a one-line summary.

The module also groups the claims' indicators and the places' kinds for counting and colouring.
"""
from __future__ import annotations

import html
import re

import pandas as pd

from .display import md_literal

INDICATOR_GROUPS: dict[str, tuple[str, ...]] = {
    "Computing power": (
        "ai_compute_capacity", "domestic_ai_compute_capacity", "unit_definition_p", "firms_served",
        "business_partners", "institutions_connected", "partner_parties"),
    "Firms and models": (
        "firms_linked", "firms_attracted", "ai_firms_attracted", "digital_av_firms_attracted",
        "medical_device_firms_attracted", "digital_tech_firms_attracted", "registered_firms",
        "specialised_firms_zjtx", "firms_incubated", "ai_firms", "ai_unicorns", "large_models",
        "model_service_stations_first_batch", "team_size", "platforms_built", "product_lines",
        "share_of_llm_company_hq", "share_of_firms_with_tsinghua_roots"),
    "Money": (
        "fund_size", "fund_investment_total", "investment_completed",
        "investment_target_share_completed", "retrofit_investment", "max_support_per_startup"),
    "Plans and policy": (
        "key_tasks", "key_projects", "major_projects", "major_projects_continuing",
        "major_projects_new", "major_projects_started", "policy_articles", "policy_components",
        "priority_industries", "parks_prioritised", "plan_duration", "pilot_zones",
        "excellent_ratings", "edition_number", "districts_involved", "enterprises_involved"),
    "Talent and housing": (
        "rent_free_years", "rent_subsidy_year2_phd", "rent_subsidy_year2_master",
        "rent_subsidy_year2_bachelor", "rent_subsidy_year3", "service_items",
        "students_trained_per_year", "course_length", "share_top_ai_scholars",
        "core_staff_birth_year", "founder_age", "commute_time_talent_apartment"),
    "Coal, steel and heritage": (
        "coal_mining_history_years", "coal_mining_first_record_years_ago",
        "share_of_capital_fuel_supply", "share_of_beijing_coal_consumption", "steel_history_years",
        "historic_major_factories", "industrial_history_years", "cultural_tradition_age",
        "temples", "mountains", "rivers"),
    "Environment": (
        "forest_cover", "forest_grass_cover", "restored_mine_land", "groundwater_rise_max",
        "vegetation_cover_growth", "vegetation_zone_width", "core_water_systems",
        "connected_waters", "springs_to_restore"),
    "Ranks and firsts": ("rank",),
}
OTHER = "Other details"

# Place kinds, grouped for a map legend, with Okabe-Ito colours.
PLACE_KIND_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "AI buildings and hubs": (("ai_building", "ai_hub", "ai_district", "historic_hub"), "#0072B2"),
    "Universities and institutes": (("university", "institute"), "#E69F00"),
    "Parks, compute and health": (("park", "compute_centre", "biomedical_base", "hospital"),
                                  "#009E73"),
    "Heritage and landmarks": (("heritage_park", "landmark", "mine", "village"), "#CC79A7"),
}


def indicator_group(indicator: str) -> str:
    """The group of an indicator (OTHER for indicators not listed in INDICATOR_GROUPS)."""
    for group, members in INDICATOR_GROUPS.items():
        if indicator in members:
            return group
    return OTHER


def place_kind_group(kind: str) -> str:
    for group, (kinds, _) in PLACE_KIND_GROUPS.items():
        if kind in kinds:
            return group
    raise KeyError(f"place kind {kind!r} is in no group of PLACE_KIND_GROUPS")


def place_kind_colour(kind: str) -> str:
    return PLACE_KIND_GROUPS[place_kind_group(kind)][1]


# -- the display object ------------------------------------------------------------------------

_SCRIPT = """<script>(function(){
var root=document.getElementById("%(id)s");if(!root)return;
var table=root.querySelector("table"),body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var input=root.querySelector("input"),count=root.querySelector(".ledger-count");
function show(){var q=input.value.toLowerCase(),n=0;rows.forEach(function(r){
var hit=r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!hit;if(hit)n++;});
count.textContent=n+" of "+rows.length+" rows";}
input.addEventListener("input",show);
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
th.querySelector("button").addEventListener("click",function(){
var asc=th.getAttribute("aria-sort")!=="ascending",num=th.dataset.type==="number";
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",asc?"ascending":"descending");
function key(r){var c=r.cells[i],v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent;
return num?(v===""?-Infinity:parseFloat(v)):v;}
rows.sort(function(a,b){var x=key(a),y=key(b),d=num?x-y:String(x).localeCompare(String(y),"zh");
return asc?d:-d;});rows.forEach(function(r){body.appendChild(r);});});});
show();})();</script>"""

_STYLE = """<style>
#%(id)s .ledger-scroll{max-height:36rem;overflow:auto;border:1px solid #ccc}
#%(id)s table{border-collapse:collapse;font-size:0.8rem;margin:0;width:max-content;min-width:100%%}
#%(id)s th{position:sticky;top:0;background:#f3f3f3;z-index:1;vertical-align:bottom}
#%(id)s th button{all:unset;cursor:pointer;font-weight:bold}
#%(id)s th button::after{content:" \\2195";color:#888}
#%(id)s th[aria-sort=ascending] button::after{content:" \\2191";color:#000}
#%(id)s th[aria-sort=descending] button::after{content:" \\2193";color:#000}
#%(id)s caption{caption-side:top;text-align:left;font-weight:bold;padding:0.3rem 0.4rem}
#%(id)s th,#%(id)s td{border-bottom:1px solid #ddd;padding:0.2rem 0.4rem;text-align:left;
vertical-align:top;white-space:nowrap}
#%(id)s .wrap{white-space:normal;min-width:14rem;max-width:26rem}
#%(id)s td.num{text-align:right}
#%(id)s input{font-size:0.9rem;padding:0.2rem 0.4rem;min-width:18rem}
</style>"""


class Ledger:
    """A DataFrame shown as a sortable, filterable HTML table and a wrapping PDF table.

    `table_id` must be unique on the page; it makes the HTML deterministic. `html_columns` and
    `pdf_columns` pick (and order) the columns of each table, `pdf_widths` the relative widths of
    the PDF columns. `row_ids` (optional, one per row) gives each HTML row an id, so that other
    pages can link to a row (the claims ledger: ``aicluster.claimrole.anchor``).
    """

    WRAP_AT = 30  # text columns with longer cells wrap (the others stay on one line)

    def __init__(self, df: pd.DataFrame, *, table_id: str, caption: str = "",
                 html_columns: list[str] | None = None, pdf_columns: list[str] | None = None,
                 pdf_widths: list[int] | None = None, row_ids: list[str] | None = None):
        if not re.fullmatch(r"[A-Za-z][\w-]*", table_id):
            raise ValueError(f"table_id {table_id!r} is not a valid HTML id")
        self.df = df.reset_index(drop=True)
        self.table_id = table_id
        self.caption = caption
        self.html_columns = list(html_columns or df.columns)
        self.pdf_columns = list(pdf_columns or df.columns)
        self.pdf_widths = pdf_widths or [1] * len(self.pdf_columns)
        if len(self.pdf_widths) != len(self.pdf_columns):
            raise ValueError("pdf_widths needs one width per PDF column")
        self.row_ids = list(row_ids) if row_ids is not None else None
        if self.row_ids is not None:
            bad = [r for r in self.row_ids if not re.fullmatch(r"[A-Za-z][\w-]*", r)]
            if len(self.row_ids) != len(self.df) or bad or len(set(self.row_ids)) < len(self.row_ids):
                raise ValueError("row_ids needs one unique, valid HTML id per row")

    # -- HTML ---------------------------------------------------------------------------------
    def html(self) -> str:
        df = self.df[self.html_columns]
        numeric = {c: pd.api.types.is_numeric_dtype(df[c]) for c in df.columns}
        wrap = {c: not numeric[c] and df[c].map(_text).str.len().max() > self.WRAP_AT
                for c in df.columns}
        head = "".join(
            f'<th scope="col" data-type="{"number" if numeric[c] else "text"}"'
            f'{_WRAP if wrap[c] else ""}><button type="button">{_esc(c)}</button></th>'
            for c in df.columns)
        ids = self.row_ids or [None] * len(df)
        body = "\n".join(("<tr>" if rid is None else f'<tr id="{rid}">')
                         + "".join(_html_cell(v, numeric[c], wrap[c]) for c, v in row.items())
                         + "</tr>" for rid, (_, row) in zip(ids, df.iterrows()))
        tid = self.table_id
        caption = f"<caption>{_esc(self.caption)}</caption>" if self.caption else ""
        return (f'{_STYLE % {"id": tid}}<div class="ledger" id="{tid}">'
                f'<p><label>Filter rows: <input type="search" placeholder="any text, e.g. 算力 or plan" '
                f'aria-controls="{tid}-table"></label> <span class="ledger-count" aria-live="polite">'
                f'{len(df)} of {len(df)} rows</span></p>'
                f'<div class="ledger-scroll"><table id="{tid}-table">{caption}<thead><tr>{head}'
                f"</tr></thead>\n<tbody>\n{body}\n</tbody></table></div></div>"
                f'{_SCRIPT % {"id": tid}}')

    # -- PDF ----------------------------------------------------------------------------------
    def markdown(self) -> str:
        # The table's id (only the PDF renders this table): aicluster.pdfbook finds the claims
        # ledger by it and moves it to a landscape appendix.
        lines = ["```{list-table} " + _md(self.caption), f":name: {self.table_id}",
                 ":header-rows: 1", ":widths: " + " ".join(str(w) for w in self.pdf_widths), ""]
        lines += _md_row(self.pdf_columns)
        for _, row in self.df[self.pdf_columns].iterrows():
            lines += _md_row([_text(v) for v in row])
        return "\n".join(lines + ["```"])

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), "text/markdown": self.markdown(),
                "text/plain": f"Ledger {self.table_id!r}: {len(self.df)} rows, "
                              f"{len(self.df.columns)} columns"}


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"  # no thousands separator: years (2002) and counts as the sources write them
    return str(value)


def _esc(value) -> str:
    return html.escape(_text(value), quote=True)


_WRAP = ' class="wrap"'


def _html_cell(value, numeric: bool, wrap: bool = False) -> str:
    if not numeric:
        return f"<td{_WRAP if wrap else ''}>{_esc(value)}</td>"
    sort = "" if _text(value) == "" else repr(float(value))
    return f'<td class="num" data-sort="{sort}">{_esc(value)}</td>'


def _md(text) -> str:
    return md_literal(_text(text))


def _md_row(cells) -> list[str]:
    out = []
    for i, cell in enumerate(cells):
        text = _md(cell) or "–"
        out.append(("* - " if i == 0 else "  - ") + text)
    return out
