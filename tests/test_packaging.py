"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies."""

import re
import tomllib

import yaml

from tests.conftest import REPO

# names that differ between PyPI and conda-forge
PYPI_TO_CONDA = {"psycopg[binary]": "psycopg", "osmium": "osmium",
                 "fastjsonschema": "python-fastjsonschema"}


def _name_and_bound(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", requirement.strip())
    assert match, requirement
    name = PYPI_TO_CONDA.get(match.group(1).lower(), match.group(1).lower())
    return name, match.group(2).replace(" ", "")


def test_conda_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_side = dict(map(_name_and_bound, project["dependencies"]
                        + project["optional-dependencies"]["test"]))
    conda = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    conda_side = dict(map(_name_and_bound, [d for d in conda if isinstance(d, str)]))
    for system_only in ("python", "postgresql", "postgis", "pip"):
        conda_side.pop(system_only)
    assert conda_side == pip_side


def test_data_model_page_is_current():
    from layers._docs import data_model_markdown

    page = (REPO / "docs" / "data-model.md").read_text()
    assert page == data_model_markdown(), "regenerate: python -m layers._docs > docs/data-model.md"
