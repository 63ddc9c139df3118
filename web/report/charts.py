"""The report's charts, drawn by matplotlib as SVG (text kept as text, so a PDF made from the page
can be searched and the HTML stays one self-contained file). Figures are made without pyplot:
no global state, safe in a web server's threads."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from simulation.planning.rollups import AGE_BANDS
from simulation.planning.rollups import CONDITIONS as ROLLUP_CONDITIONS

AGE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#bdbdbd"]
"""One per band of ``AGE_BANDS``, young to old, then unknown."""
CONDITIONS = [*ROLLUP_CONDITIONS, "condition_unknown"]
CONDITION_LABELS = ["good", "fair", "poor", "failed", "unknown"]
CONDITION_COLOURS = ["#1a9850", "#a6d96a", "#fdae61", "#d73027", "#bdbdbd"]
LAYER_PALETTE = [to_hex(colormaps["tab20"](i)) for i in range(20)]
"""Twenty colours that can be told apart, one per layer of a stacked chart."""
WIDTH_IN = 7.0


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(height_in: float) -> Figure:
    return Figure(figsize=(WIDTH_IN, height_in))


def _open_frame(axes: Axes) -> None:
    """No top or right spine: the bars stand on their axes alone."""
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _shares_chart(table: pd.DataFrame, labels: list[str], colours: list[str], title: str) -> str:
    """100 % stacked horizontal bars: one per row of ``table`` (index = bar label), one segment
    per column."""
    totals = table.sum(axis=1).replace(0, np.nan)
    shares = table.div(totals, axis=0).fillna(0) * 100
    figure = Figure(figsize=(WIDTH_IN, 1.2 + 0.3 * len(shares)), layout="constrained")
    axes = figure.subplots()
    left = np.zeros(len(shares))
    y = np.arange(len(shares))
    for column, label, colour in zip(table.columns, labels, colours, strict=True):
        axes.barh(y, shares[column], left=left, color=colour, label=label, height=0.7)
        left += shares[column].to_numpy()
    axes.set_yticks(y, shares.index)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("share of the layer's assets (%)")
    axes.set_title(title, loc="left", fontsize=11)
    figure.legend(ncols=len(labels), loc="outside lower center", frameon=False, fontsize=8)
    _open_frame(axes)
    return _svg(figure)


def condition_chart(inventory: pd.DataFrame) -> str | None:
    """Each layer's assets by condition (shares), from the inventory's condition counts."""
    if inventory.empty:
        return None
    table = inventory.groupby("layer_title", sort=False)[CONDITIONS].sum()
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        return None
    return _shares_chart(table.astype(float), CONDITION_LABELS, CONDITION_COLOURS,
                         "Condition of each layer")


def age_chart(age_profile: pd.DataFrame) -> str | None:
    """Each layer's assets by age band (shares of its count)."""
    if age_profile.empty:
        return None
    table = (age_profile.pivot_table(index="layer_title", columns="age_band", values="count",
                                     aggfunc="sum", sort=False)
             .reindex(columns=list(AGE_BANDS)).fillna(0))
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        return None
    return _shares_chart(table.astype(float), [f"{b} years" if b != "unknown" else "unknown"
                                              for b in AGE_BANDS], AGE_COLOURS,
                         "Age profile of each layer")


def renewal_chart(renewal: pd.DataFrame, from_year: int | None) -> str | None:
    """Renewal cost by due year, stacked by layer (billion VND); the backlog is the first bar."""
    if renewal.empty or renewal["cost_vnd"].fillna(0).sum() == 0:
        return None
    table = (renewal.pivot_table(index="due_year", columns="layer_title", values="cost_vnd",
                                 aggfunc="sum").fillna(0).sort_index() / 1e9)
    table = table.loc[:, table.sum() > 0]
    labels = [f"{y}\nbacklog" if from_year is not None and y <= from_year else str(y)
              for y in table.index]
    figure = _figure(3.4)
    axes = figure.subplots()
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for i, column in enumerate(table.columns):
        axes.bar(x, table[column], bottom=bottom, label=column,
                 color=LAYER_PALETTE[i % len(LAYER_PALETTE)], width=0.7)
        bottom += table[column].to_numpy()
    axes.set_xticks(x, labels, fontsize=8)
    axes.set_ylabel("cost (billion VND)")
    axes.set_title("Renewal cost by year", loc="left", fontsize=11)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    _open_frame(axes)
    return _svg(figure)


def targets_chart(targets: pd.DataFrame) -> str | None:
    """Each programme metric's share against its target (a black tick)."""
    if targets.empty:
        return None
    rows = targets.dropna(subset=["value"])
    if rows.empty:
        return None
    return _svg(targets_figure(rows))


def targets_figure(rows: pd.DataFrame) -> Figure:
    """The targets chart of ``rows`` (metric_title, value, target, met; shares 0..1). A share
    above 100 % (more served than counted, left as it is in the table) stretches the axis past
    a dashed 100 % line rather than being cut off at it."""
    figure = _figure(0.8 + 0.45 * len(rows))
    axes = figure.subplots()
    y = np.arange(len(rows))
    met = rows["met"].fillna(False).astype(bool).to_numpy()
    axes.barh(y, rows["value"] * 100, color=np.where(met, "#1a9850", "#d73027"), height=0.6)
    top = float(rows["value"].max()) * 100
    if "target" in rows:
        axes.scatter(rows["target"] * 100, y, marker="|", s=400, color="black", zorder=3,
                     label="target")
        top = max(top, float(rows["target"].max()) * 100)
    axes.set_yticks(y, rows["metric_title"], fontsize=8)
    axes.invert_yaxis()
    if top > 100:
        axes.axvline(100, color="#555555", linewidth=0.8, linestyle="--")
    axes.set_xlim(0, top * 1.05 if top > 100 else 100)
    axes.set_xlabel("share (%)")
    axes.set_title("Programme targets: reached (bar) against target (tick)", loc="left", fontsize=11)
    _open_frame(axes)
    return figure


def energy_chart(kwh_now: float | None, what_ifs: pd.DataFrame) -> str | None:
    """The area's lighting energy a year now and after each what-if (MWh)."""
    if kwh_now is None or what_ifs.empty:
        return None
    labels = ["now", *what_ifs["what_if"].astype(str)]
    values = [kwh_now / 1000, *(what_ifs["kwh"].astype(float) / 1000)]
    colours = ["#555555", *["#1a9850"] * len(what_ifs)]
    figure = _figure(0.8 + 0.45 * len(labels))
    axes = figure.subplots()
    y = np.arange(len(labels))
    axes.barh(y, values, color=colours, height=0.6)
    axes.set_yticks(y, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("energy (MWh/year)")
    axes.set_title("Lighting energy now and after each what-if", loc="left", fontsize=11)
    _open_frame(axes)
    return _svg(figure)
