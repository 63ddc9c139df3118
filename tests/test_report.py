"""Planning reports (``web.report``, ``twin report``, ``GET /api/planning/report``) of one ward of
the small demo city, read back as a planner's tools read them: the HTML's tables, the PDF's pages
and text (pypdf), the XLSX's sheets, numbers and charts (openpyxl). Every figure is checked
against ``planning_summary`` of the same ward."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pandas as pd
import pypdf
import pytest
from sqlalchemy.engine import Engine

from simulation.planning import inventory, planning_summary, renewal, wards
from tests.conftest import run_twin
from tests.planning_support import W1
from tests.web_fixtures import client_for
from web.export_html import external_tags
from web.report import Area, ReportData, file_name, gather, render
from web.report.contents import for_people, layer_title
from web.report.html import render_table, renewal_pivot
from web.report.tables import INVENTORY, cell_text
from web.report.xlsx import write_sheet

SECTIONS = ["1. Map of", "2. Inventory and condition", "3. Age profile and materials",
            "4. Renewal backlog and cost by year", "5. Street lighting: energy, cost and CO₂",
            "6. Programme targets", "7. Assumptions and sources"]
SHEETS = ["Summary", "Inventory", "Age profile", "Materials", "Renewal cost by year",
          "Renewal by layer", "Lighting energy", "Programme targets", "Unit costs", "Assumptions"]


class Tables(HTMLParser):
    """Every ``<table class="data">`` of a page: {table id: {row key: {column key: text}}}, and
    the title page's key figures."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.figures: dict[str, str] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._cell: str | None = None
        self._figure: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and "data" in (a.get("class") or ""):
            self._table = a["id"] or ""
            self.tables[self._table] = {}
        elif tag == "tr" and self._table is not None and a.get("data-key") is not None:
            self._row = a["data-key"]
            self.tables[self._table][self._row or ""] = {}
        elif tag == "td" and self._row is not None:
            self._cell, self._text = a.get("data-col"), ""
        elif tag == "div" and a.get("data-figure"):
            self._figure, self._text = a["data-figure"], ""
        elif tag == "b" and self._figure:
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table and self._row is not None:
            self.tables[self._table][self._row][self._cell] = self._text.strip()
            self._cell = None
        elif tag == "b" and self._figure:
            self.figures[self._figure] = self._text.strip()
            self._figure = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self._text += data


def read_tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def ward(demo_engine: Engine) -> dict[str, str]:
    """The demo city's ward with the most luminaires (so every section has figures)."""
    with demo_engine.connect() as conn:
        known = wards(conn)
        counts = pd.read_sql("SELECT ward_code, count(*) AS n FROM luminaires GROUP BY 1", conn)
    code = counts.sort_values("n").iloc[-1]["ward_code"]
    return known.set_index("code").loc[code].to_dict() | {"code": code}


@pytest.fixture(scope="module")
def report_data(demo_engine: Engine, ward: dict[str, str]) -> Iterator[tuple[ReportData, Any]]:
    """The ward's report data (what-ifs included), and its planning summary computed apart."""
    with demo_engine.connect() as conn:
        data = gather(conn, ward["name"].upper(), what_ifs=True)
        summary = planning_summary(conn, ward=ward["code"])
    yield data, summary


def test_the_html_shows_the_wards_figures_of_the_planning_summary(report_data, ward):
    data, summary = report_data
    html = render(data, "html").decode("utf-8")
    assert external_tags(html) == [] and "https://" not in html.replace(
        "https://www.openstreetmap.org", "")
    assert f"<h1>{ward['name']}: infrastructure planning report</h1>" in html
    assert 'src="data:image/png;base64,' in html  # the map, inline
    assert html.count('src="data:image/svg+xml;base64,') >= 4  # the charts, inline
    tables = read_tables(html)
    inventory = tables.tables["inventory"]
    for row in summary.inventory.itertuples():
        shown = inventory[row.layer]
        assert shown["layer_title"] == layer_title(row.layer)
        assert shown["count"] == f"{row.count:,}"
        assert shown["length_m"] == cell_text(row.length_m, "int")
        assert shown["failed"] == f"{row.failed:,}"
    assert inventory["total"]["count"] == f"{summary.inventory['count'].sum():,}"
    assert tables.figures["assets"] == f"{summary.inventory['count'].sum():,}"
    by_year = summary.renewal.groupby("due_year")["cost_vnd"].sum()
    shown_years = tables.tables["renewal_by_year"]
    assert len(shown_years) == len(by_year) + 1  # and the total
    for year, cost in by_year.items():
        key = next(k for k in shown_years if k.startswith(str(year)))
        assert shown_years[key]["cost_vnd"] == f"{cost:,.0f}"
    assert shown_years["total"]["cost_vnd"] == f"{summary.renewal['cost_vnd'].sum():,.0f}"
    energy = summary.energy.by_ward.set_index("area_code").loc[ward["code"]]
    shown_energy = next(iter(tables.tables["energy"].values()))
    assert shown_energy["kwh"] == f"{energy['kwh']:,.0f}"
    assert shown_energy["cost_vnd"] == f"{energy['cost_vnd']:,.0f}"
    assert shown_energy["luminaires"] == f"{energy['luminaires']:,}"
    for row in summary.targets.itertuples():
        shown = tables.tables["targets"][row.metric]
        assert shown["value"] == cell_text(row.value, "share")
        assert shown["target"] == cell_text(row.target, "share")
        assert shown["met"] == cell_text(row.met, "bool")
    for row in summary.unit_costs.itertuples():
        shown = tables.tables["unit_costs"][f"{row.layer}|{row.material}"]
        assert shown["cost_vnd"] == f"{row.cost_vnd:,.0f}"
        assert shown["assumption"] == ("yes" if row.assumption else "no")
    what_ifs = tables.tables["what_ifs"]
    assert set(what_ifs) >= {"saved_kwh", "saved_vnd", "capex_vnd", "failing_roads",
                             "pays_back"}
    assert "Lengths and areas geodesic on the WGS 84 ellipsoid (m, m²); map in EPSG:9214" in html
    after_each = {k: v for k, v in what_ifs["kwh"].items() if k != "measure"}
    assert len(after_each) == 2  # dimming after midnight, LED retrofit

    def number(text: str) -> float:
        return float(text.replace(",", ""))

    for label, after in after_each.items():  # the area's saving is its own before - after
        saved = number(what_ifs["area_saved_kwh"][label])
        assert saved == pytest.approx(energy["kwh"] - number(after), abs=1)
    assert "tariff" in " ".join(tables.tables["assumptions"])


def test_the_pdf_has_every_section_on_its_pages(report_data, ward):
    data, summary = report_data
    reader = pypdf.PdfReader(io.BytesIO(render(data, "pdf")))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]  # wrapped cells
    assert len(pages) >= len(SECTIONS) + 1
    assert f"{ward['name']}: infrastructure" in pages[0]
    assert all(f"page {i} of {len(pages)}" in text for i, text in enumerate(pages[1:], start=2))
    starts = [next(i for i, text in enumerate(pages) if section in text) for section in SECTIONS]
    assert starts == sorted(starts) and starts[0] == 1  # in order, the map after the title page
    inventory_text = " ".join(pages[starts[1]:starts[2]])
    for row in summary.inventory.itertuples():
        assert f"{layer_title(row.layer)} {row.count:,}" in inventory_text
    targets_text = " ".join(pages[starts[5]:starts[6]])
    fibre = summary.targets.set_index("metric").loc["fibre_households"]
    assert f"Households served by fibre {fibre['numerator']:,.0f} {fibre['denominator']:,.0f}" in \
        targets_text
    assert "Unit costs and service lives" in " ".join(pages[starts[6]:])


def test_the_xlsx_has_a_sheet_per_table_numbers_as_numbers_and_charts(report_data):
    data, summary = report_data
    book = openpyxl.load_workbook(io.BytesIO(render(data, "xlsx")))
    assert [s for s in SHEETS if s not in book.sheetnames] == []
    assert "Lighting what-ifs" in book.sheetnames
    inventory = book["Inventory"]
    header = [c.value for c in inventory[1]]
    assert header[:3] == ["Layer", "Count", "Length (m)"] and inventory.freeze_panes == "A2"
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in inventory.iter_rows(min_row=2, values_only=True)}
    for row in summary.inventory.itertuples():
        shown = rows[layer_title(row.layer)]
        assert shown["Count"] == row.count and isinstance(shown["Count"], int)
        if pd.notna(row.length_m):
            assert shown["Length (m)"] == pytest.approx(row.length_m)
        assert shown["Failed"] == row.failed
    by_year = book["Renewal cost by year"]
    costs = [r[3] for r in by_year.iter_rows(min_row=2, values_only=True)]
    assert sum(costs) == pytest.approx(summary.renewal["cost_vnd"].sum(), abs=len(costs))
    targets = book["Programme targets"]
    shares = {r[0]: r for r in targets.iter_rows(min_row=2, values_only=True)}
    fibre = summary.targets.set_index("metric").loc["fibre_households"]
    assert shares["Households served by fibre"][3] == pytest.approx(fibre["value"])
    assert targets.cell(2, 4).number_format == "0.0%"
    for name in ("Inventory", "Age profile", "Renewal cost by year", "Programme targets",
                 "Lighting what-ifs"):
        assert len(book[name]._charts) == 1, name  # native Excel charts over the cells
    assert len(book["Summary"]._images) == 1, "the ward's map on the summary sheet"


def test_the_city_report_has_every_wards_lighting(demo_engine):
    with demo_engine.connect() as conn:
        data = gather(conn, None, what_ifs=False)
        known = wards(conn)
    assert data.area.level == "city" and data.map_png
    html = render(data, "html").decode("utf-8")
    energy = read_tables(html).tables["energy"]
    assert {k.split("|")[0] for k in energy} == {*known["code"], "city"}
    city = data.energy.set_index("area_code").loc["city", "kwh"]
    assert read_tables(html).figures["kwh"] == f"{city:,.0f}"  # the city's, not the sum of rows
    assert file_name(data.area, "pdf") == "planning-report-bac-giang.pdf"


def test_twin_report_writes_the_file_and_refuses_bad_input_in_one_line(demo_engine, ward,
                                                                       tmp_path):
    env = {"TWIN_DATABASE_URL": demo_engine.url.render_as_string(hide_password=False)}
    output = tmp_path / "ward.xlsx"
    plain_name = "".join(c for c in unicodedata.normalize("NFD", ward["name"].replace("đ", "d"))
                         if not unicodedata.combining(c)).lower()  # accents are optional
    done = run_twin("report", "--ward", plain_name, "--output", str(output), "--no-what-ifs",
                    env=env)
    assert "wrote" in done.stderr
    assert "Inventory" in openpyxl.load_workbook(output).sheetnames
    for args, message in [
        (["--ward", "Nowhere", "--output", str(tmp_path / "x.pdf")], "error: unknown ward 'Nowhere'"),
        (["--format", "doc", "--output", str(tmp_path / "x.doc")],
         "error: unknown report format 'doc': use one of pdf, xlsx, html"),
        (["--output", str(tmp_path / "absent" / "x.pdf")],
         f"error: cannot write the report to '{tmp_path / 'absent' / 'x.pdf'}'"),
    ]:
        done = run_twin("report", *args, env=env, check=False)
        assert done.returncode == 1, args
        assert done.stderr.strip().splitlines()[-1].startswith(message), done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_the_api_streams_the_report_as_a_named_download(demo_engine, ward):
    url = demo_engine.url.render_as_string(hide_password=False)
    with client_for(url, role="viewer") as client:
        answer = client.get("/api/planning/report", params={"ward": ward["code"],
                                                            "format": "xlsx", "what_ifs": False})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        name = file_name(Area("ward", ward["name"], ward["code"]), "xlsx")
        assert re.fullmatch(rf"planning-report-{ward['code']}-[a-z0-9-]+\.xlsx", name)
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert "Inventory" in openpyxl.load_workbook(io.BytesIO(answer.content)).sheetnames
        assert client.get("/api/planning/report", params={"ward": "Nowhere"}).status_code == 404
        assert client.get("/api/planning/report", params={"format": "doc"}).status_code == 400
    with client_for(url, role=None) as anonymous:
        assert anonymous.get("/api/planning/report").status_code == 401



def empty_area_data(osm_shown: bool) -> ReportData:
    """A ward with nothing in it (every roll-up empty), as hand-made frames."""
    frame = pd.DataFrame
    return ReportData(
        area=Area("ward", "Phường Mới", "09999"),
        inventory=frame(columns=["area_code", "layer", "count", "length_m", "area_m2", "mean_age_y",
                                 "good", "fair", "poor", "failed", "condition_unknown"]),
        age_profile=frame(columns=["area_code", "layer", "age_band", "count", "length_m"]),
        materials=frame(columns=["area_code", "layer", "material", "count", "length_m"]),
        renewal=frame(columns=["area_code", "layer", "material", "due_year", "count", "length_m",
                               "cost_vnd", "reason"]),
        energy=frame(columns=["area_code", "luminaires", "installed_kw", "kwh", "cost_vnd",
                              "co2_kg"]),
        targets=frame(columns=["area_code", "metric", "numerator", "denominator", "value",
                               "target", "met"]),
        unit_costs=frame(columns=["layer", "material", "unit", "cost_vnd", "service_life_y",
                                  "assumption", "note"]),
        from_year=2026, osm_shown=osm_shown)


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx"])
def test_a_ward_with_nothing_still_makes_a_report(fmt):
    body = render(empty_area_data(osm_shown=False), fmt)
    if fmt == "html":
        html = body.decode("utf-8")
        assert "Nothing to show for this area." in html and "No map" in html
        assert "OpenStreetMap" not in html
    elif fmt == "pdf":
        assert len(pypdf.PdfReader(io.BytesIO(body)).pages) == len(SECTIONS) + 1
    else:
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert book["Inventory"].max_row == 1  # the header only


def test_openstreetmap_is_credited_when_its_data_is_shown():
    html = render(empty_area_data(osm_shown=True), "html").decode("utf-8")
    assert "© OpenStreetMap contributors" in html


def test_every_demo_pipe_material_has_a_unit_cost_of_its_own(demo_engine):
    """The demo city writes uPVC, HDPE, DI, CI and steel mains: each is costed by its own row
    (uPVC through the alias to PVC), none by the water pipes' '*' default."""
    from simulation.planning import renewal

    with demo_engine.connect() as conn:
        rows = renewal(conn, "city", from_year=2200, years=1)
    pipes = rows[rows["layer"] == "water_pipes"]
    assert len(pipes) and (pipes["costed_as"] != "*").all(), \
        pipes.loc[pipes["costed_as"] == "*", "material"].unique()


@pytest.mark.parametrize(("value", "kind", "text"), [
    (0.3, "int", "< 1"), (0.4, "money", "< 1"), (0.04, "dec", "< 0.1"), (0, "dec", "0.0"),
    (1234.5, "int", "1,234"), (0.15, "millions", "0.15"), (2.5, "millions", "2.5"),
    (0.004, "millions", "< 0.01"), (16.15, "millions", "16"), (6079.4, "millions", "6,079"),
    (0, "millions", "0")])
def test_no_figure_that_is_not_zero_is_written_as_zero(value, kind, text):
    assert cell_text(value, kind) == text


def test_a_trees_inspection_shows_in_the_cost_by_layer_and_year(city):
    """Ward 00001's tree (TRE-000001, inspected March 2025, every 2 years at 150,000 VND, an
    assumed default) is due in 2027, 2029, ... 2035: 0.15 million VND each, 0.75 in all, in the
    table in million VND (where whole millions wrote 0)."""
    rows = for_people(renewal(city, "ward", W1, from_year=2026))
    table = render_table(*renewal_pivot(rows, 2026), total=True)
    trees = {c.key: c.text for c in next(r for r in table.rows if r.key == "Trees").cells}
    assert (trees["2026"], trees["2027"], trees["2029"], trees["total"]) == \
        ("0", "0.15", "0.15", "0.75")
    total = {c.key: c.text for c in table.total or []}
    assert total["2027"] == "0.15"


def test_the_xlsx_keeps_lengths_exact(city):
    """A sheet's numbers are the figures themselves, rounded by the number format only."""
    rows = for_people(inventory(city, "ward", W1))
    sheet, columns = write_sheet(openpyxl.Workbook(), INVENTORY, rows)
    keys = [c.key for c in columns]
    pipes = next(r for r in sheet.iter_rows(min_row=2) if r[keys.index("layer_title")].value
                 == "Water pipes")
    length = rows.set_index("layer").loc["water_pipes", "length_m"]
    assert length != round(length)
    assert pipes[keys.index("length_m")].value == pytest.approx(length, abs=1e-9)
    assert pipes[keys.index("length_m")].number_format == "#,##0"
    assert pipes[keys.index("count")].value == 4


def test_a_share_above_100_percent_is_drawn_whole():
    """Fibre to 130 % of the households counted (more served than the twin knows of): the
    axis reaches past 130 %, not cut at 100 %."""
    from web.report.charts import targets_figure

    rows = pd.DataFrame({"metric_title": ["Households served by fibre", "Lamps working"],
                         "value": [1.3, 0.5], "target": [0.8, 0.95], "met": [True, False]})
    assert targets_figure(rows).axes[0].get_xlim()[1] >= 130
    assert targets_figure(rows.assign(value=[0.7, 0.5])).axes[0].get_xlim() == (0, 100)
