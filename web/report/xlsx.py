"""The report as an Excel workbook (openpyxl): one sheet per table, numbers stored as numbers
(units in the headers), headers frozen, and native Excel charts that follow the cells."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from web.report.contents import OSM_ATTRIBUTION, ReportData, for_people, key_figures
from web.report.tables import (
    ASSUMPTIONS,
    ENERGY,
    INVENTORY,
    MATERIALS,
    RENEWAL,
    RENEWAL_BY_YEAR,
    TARGETS,
    UNIT_COSTS,
    WHAT_IFS,
    Column,
    TableSpec,
    age_table,
    missing,
    present_columns,
)

FORMATS = {"int": "#,##0", "money": "#,##0", "millions": "#,##0.00", "dec": "#,##0.0",
           "share": "0.0%"}
HEADER_FILL = PatternFill("solid", fgColor="223344")
HEADER_FONT = Font(color="FFFFFF", bold=True)


def _value(value: Any, column: Column) -> Any:
    """The cell's value: numbers exact (the number format rounds them on screen only, so a
    cost of 0.4 VND or a 0.3 m line is still there to sum), whole numbers as int."""
    if missing(value):
        return None
    if column.kind in FORMATS:
        number = float(value)
        return int(number) if number.is_integer() else number
    if column.kind == "bool":
        return bool(value)
    return str(value)


def write_sheet(book: Workbook, spec: TableSpec, frame: pd.DataFrame, title: str | None = None
                ) -> tuple[Worksheet, list[Column]]:
    """One table on its own sheet: a header row (frozen), then one row per frame row."""
    sheet = book.create_sheet((title or spec.title)[:31])
    columns = present_columns(spec, frame)
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for _, row in frame.iterrows():
        sheet.append([_value(row[c.key], c) for c in columns])
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if column.kind in FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = FORMATS[column.kind]
        widest = max([len(column.header), *(len(str(v)) for v in frame.get(column.key, []))][:200])
        sheet.column_dimensions[letter].width = min(max(10, widest + 2), 48)
    sheet.freeze_panes = "A2"
    return sheet, columns


def _bar_chart(sheet: Worksheet, title: str, y_title: str, data_cols: tuple[int, int], *,
               stacked: bool = False, horizontal: bool = False) -> None:
    """A native chart over the sheet's own table, right of it: categories in column A, series
    in ``data_cols`` (first, last)."""
    rows = sheet.max_row - 1
    if rows == 0:
        return
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title, chart.y_axis.title = title, y_title
    if stacked:
        chart.grouping, chart.overlap = "percentStacked", 100
    chart.add_data(Reference(sheet, min_col=data_cols[0], max_col=data_cols[1], min_row=1,
                             max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    chart.height, chart.width = max(7.5, 0.6 * rows + 3), 18
    sheet.add_chart(chart, f"{get_column_letter(sheet.max_column + 2)}2")


def _col(columns: list[Column], key: str) -> int:
    return [c.key for c in columns].index(key) + 1


def _led_by(spec: TableSpec, key: str) -> TableSpec:
    """``spec`` with column ``key`` first, so that a chart's categories (column A) are its
    values."""
    return TableSpec(spec.name, spec.title, tuple(sorted(spec.columns, key=lambda c: c.key != key)))


def _summary(book: Workbook, data: ReportData) -> None:
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Summary"
    sheet.append([data.title])
    sheet["A1"].font = Font(bold=True, size=14)
    rows: list[list[Any]] = [
        ["Area", data.area.name], ["Ward code", data.area.code or ""],
        ["Report made (UTC)", data.made_at.replace(tzinfo=None)],
        ["Data as of (UTC)", data.data_as_of.replace(tzinfo=None) if data.data_as_of else None],
        ["Renewal planned from", data.from_year],
    ]
    for row in rows:
        sheet.append(row)
    sheet["B4"].number_format = sheet["B5"].number_format = "yyyy-mm-dd hh:mm"
    for f in key_figures(data):  # numbers as numbers, "3 of 4" as written
        sheet.append([f["label"], f["value"] if f["number"] is None else f["number"]])
        sheet.cell(sheet.max_row, 2).number_format = \
            "#,##0.0" if f["key"] == "network_km" else "#,##0"
    if data.osm_shown:
        sheet.append(["Attribution", OSM_ATTRIBUTION])
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 36, 40
    if data.map_png:
        picture = Image(io.BytesIO(data.map_png))  # the report's map, beside the figures
        scale = min(1.0, 640 / picture.width)
        picture.width, picture.height = picture.width * scale, picture.height * scale
        sheet.add_image(picture, "D2")


def render_xlsx(data: ReportData) -> bytes:
    """The report as XLSX bytes."""
    book = Workbook()
    _summary(book, data)
    sheet, columns = write_sheet(book, _led_by(INVENTORY, "layer_title"),
                                 for_people(data.inventory))
    _bar_chart(sheet, "Condition of each layer", "share of assets",
               (_col(columns, "good"), _col(columns, "condition_unknown")),
               stacked=True, horizontal=True)
    age_spec, age_wide = age_table(for_people(data.age_profile))
    sheet, columns = write_sheet(book, age_spec, age_wide, "Age profile")
    _bar_chart(sheet, "Age profile", "share of assets", (2, len(columns)), stacked=True,
               horizontal=True)
    write_sheet(book, MATERIALS, for_people(data.materials))
    sheet, columns = write_sheet(book, RENEWAL_BY_YEAR, data.renewal_by_year())
    _bar_chart(sheet, "Renewal cost by year", "VND", (_col(columns, "cost_vnd"),) * 2)
    write_sheet(book, RENEWAL, for_people(data.renewal), "Renewal by layer")
    write_sheet(book, ENERGY, data.energy)
    if len(data.what_ifs):
        sheet, columns = write_sheet(book, WHAT_IFS, data.what_ifs)
        _bar_chart(sheet, "Energy after each what-if", "kWh/year", (_col(columns, "kwh"),) * 2,
                   horizontal=True)
    sheet, columns = write_sheet(book, _led_by(TARGETS, "metric_title"),
                                 for_people(data.targets))
    _bar_chart(sheet, "Programme targets", "share",
               (_col(columns, "value"), _col(columns, "target")), horizontal=True)
    write_sheet(book, UNIT_COSTS, for_people(data.unit_costs))
    write_sheet(book, ASSUMPTIONS, data.assumptions)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
