"""``twin planning``: the roll-ups as JSON in the terminal, and edits audited as cli:<user>."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.conftest import run_twin
from tests.planning_support import W1, database_of, planning_city


def test_show_and_set_from_the_command_line(server_url, template_url):
    with database_of(planning_city(), server_url, template_url) as engine:
        env = {"TWIN_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
        shown = run_twin("planning", "show", "inventory", "--level", "ward", "--ward",
                         "tran phu", "--json", env=env)
        rows = {r["layer"]: r for r in json.loads(shown.stdout)}
        assert rows["water_pipes"]["count"] == 4 and rows["water_pipes"]["area_code"] == W1
        energy = json.loads(run_twin("planning", "show", "energy", "--level", "district",
                                     "--year", "2026", "--json", env=env).stdout)
        assert [(r["area_level"], r["area_code"], r["luminaires"]) for r in energy] == \
            [("district", "213", 3)]
        run_twin("planning", "set-cost", "water_pipes", "steel", "--cost", "1000000", env=env)
        costs = json.loads(run_twin("planning", "costs", "--json", env=env).stdout)
        steel = next(c for c in costs if (c["layer"], c["material"]) == ("water_pipes", "steel"))
        assert steel["cost_vnd"] == 1_000_000 and steel["assumption"] is False
        refused = run_twin("planning", "set-target", "fibre_households", "2", env=env,
                           check=False)
        assert refused.returncode == 1
        assert refused.stderr.strip() == "error: target must be >= 0 and <= 1, got 2.0"
        with engine.connect() as conn:
            actor = conn.execute(sa.text("SELECT actor FROM audit_log WHERE action = "
                                         "'planning.unit_cost'")).scalar_one()
        assert actor.startswith("cli:")
