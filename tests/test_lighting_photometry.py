"""Photometry: reading IES LM-63 and EULUMDAT (every symmetry), flux against the files' own
figures, interpolation, and the luminaire frame (tilt, orientation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulation.lighting import read_photometry
from simulation.lighting.builtin import builtin_names, builtin_photometry
from simulation.lighting.photometry import Photometry, luminaire_angles
from tests.conftest import shared_file
from twin.errors import InvalidInput

LDT_FILES = ["eulumdat-analysis_sample_01.ldt", "eulumdat-analysis_sample_03.ldt",
             "eulumdat-analysis_sample_05.ldt", "eulumdat-analysis_sample_07.ldt"]


@pytest.mark.parametrize("name", LDT_FILES)
def test_ldt_flux_agrees_with_lorl_times_lamp_flux(name: str) -> None:
    """∫ I dΩ of the interpolated table = LORL × lamp flux, the file's own figure, within 1.5 %
    (the files' tables are 2.5-15° apart; their tools integrate zone by zone)."""
    photometry = read_photometry(shared_file(f"photometry/{name}"))
    assert photometry.rated_flux_lm is not None
    assert photometry.flux() == pytest.approx(photometry.rated_flux_lm, rel=0.015)


def test_ldt_downward_flux_fraction_and_uplight() -> None:
    """sample_03 states DFF 87 %; sample_05 is a pure uplight (DFF 0)."""
    quadrant = read_photometry(shared_file("photometry/eulumdat-analysis_sample_03.ldt"))
    assert quadrant.flux(90) / quadrant.flux() == pytest.approx(0.87, abs=0.01)
    up = read_photometry(shared_file("photometry/eulumdat-analysis_sample_05.ldt"))
    assert up.flux(90) == 0.0


def test_ies_flux_is_a_plausible_share_of_the_lamp_flux() -> None:
    """ASA 15M R2 (relative photometry, one 13000 lm lamp, full cut-off): the file states only
    the lamp flux; the table integrates to 9561 lm, a light output ratio of 0.735, and nothing
    goes above the horizontal."""
    photometry = read_photometry(shared_file("photometry/luxcore_ASA_15M_R2.ies"))
    assert photometry.lamp_flux_lm == 13000
    assert photometry.flux() / 13000 == pytest.approx(0.735, abs=0.005)
    assert photometry.flux(90) == pytest.approx(photometry.flux())
    # bilateral file (0-180): the unfolded C 180-360 half mirrors it
    assert photometry.intensity(np.array([200.0]), np.array([60.0])) == pytest.approx(
        photometry.intensity(np.array([160.0]), np.array([60.0])))
    assert photometry.intensity(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(1666)


def _table(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """An asymmetric made-up distribution (cd) to write into files."""
    cc, gg = np.radians(c)[:, None], np.radians(g)[None, :]
    return 100 + 80 * np.cos(cc) * np.sin(gg) + 30 * np.sin(2 * cc) ** 2 + 50 * np.cos(gg)


def _symmetric_table(c: np.ndarray, g: np.ndarray, isym: int) -> np.ndarray:
    """A table with the symmetry Isym declares (1 none in C, 2 about C0-C180, 3 about
    C90-C270, 4 both)."""
    cc, gg = np.radians(c)[:, None], np.radians(g)[None, :]
    shape = {0: np.cos(cc) + 0.3 * np.sin(cc), 1: 0 * cc, 2: np.cos(cc), 3: np.sin(cc),
             4: np.cos(2 * cc)}[isym]
    return 200 + 80 * shape * np.sin(gg) + 50 * np.cos(gg)


def write_ldt(path: Path, isym: int, table_of: callable = _symmetric_table,
              lamp_flux: float = 1000.0, lorl: float = 80.0) -> np.ndarray:
    """A EULUMDAT file with C every 15°, γ every 5°, intensities from ``table_of`` (cd/klm);
    returns the full 0..345 table written (before the symmetry cut)."""
    c, g = np.arange(0, 360, 15.0), np.arange(0, 181, 5.0)
    full = table_of(c, g, isym) if table_of is _symmetric_table else table_of(c, g)
    first, count = {0: (0, 24), 1: (0, 1), 2: (0, 13), 3: (6, 13), 4: (0, 7)}[isym]
    header = ["test company", "1", str(isym), "24", "15", str(len(g)), "5", "report", "name",
              "number", path.name, "date", "500", "200", "100", "400", "150", "0", "0", "0",
              "0", "95", f"{lorl}", "1.0", "0", "1", "1", "LED", f"{lamp_flux}", "4000K",
              "80", "40"]
    lines = header + ["0"] * 10 + [f"{v:g}" for v in c] + [f"{v:g}" for v in g]
    lines += [f"{v:.4f}" for v in full[first:first + count].ravel()]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    return full


def write_ies(path: Path, table_of: callable = _table, version: str = "LM-63-2002",
              multiplier: float = 1.0) -> np.ndarray:
    """An IES file (type C, full turn of C planes) of the same angles as ``write_ldt``."""
    c, g = np.arange(0, 360, 15.0), np.arange(0, 181, 5.0)
    full = table_of(c, g)
    lines = [f"IESNA:{version}", "[TEST] made by the test", "[MANUFAC] none", "TILT=NONE",
             f"1 -1 {multiplier} {len(g)} {len(c) + 1} 1 2 0.5 0.2 0.1", "1 1 40",
             " ".join(f"{v:g}" for v in g), " ".join(f"{v:g}" for v in [*c, 360.0])]
    for row in [*full, full[0]]:
        lines.append(" ".join(f"{v / multiplier:.4f}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return full


@pytest.mark.parametrize("isym", [0, 1, 2, 3, 4])
def test_ldt_every_symmetry_unfolds_to_the_full_table(tmp_path: Path, isym: int) -> None:
    """A table with Isym's symmetry, written with only the planes Isym keeps, reads back whole."""
    full = write_ldt(tmp_path / "s.ldt", isym)
    photometry = read_photometry(tmp_path / "s.ldt")
    c, g = np.meshgrid(np.arange(0, 360, 15.0), np.arange(0, 181, 5.0), indexing="ij")
    assert photometry.intensity(c, g) == pytest.approx(full, abs=1e-4)  # written to 4 decimals
    assert photometry.rated_flux_lm == pytest.approx(800.0)


def test_ies_and_ldt_of_the_same_luminaire_agree(tmp_path: Path) -> None:
    """The data folder holds no IES/LDT pair of one luminaire, so one distribution is written
    both ways (LDT in cd/klm of a 1000 lm lamp, IES absolute with a candela multiplier)."""
    write_ldt(tmp_path / "same.ldt", 0, table_of=_table, lamp_flux=1000.0)
    write_ies(tmp_path / "same.ies", multiplier=0.5)
    ldt, ies = read_photometry(tmp_path / "same.ldt"), read_photometry(tmp_path / "same.ies")
    rng = np.random.default_rng(3)
    c, g = rng.uniform(0, 360, 500), rng.uniform(0, 180, 500)
    assert ies.intensity(c, g) == pytest.approx(ldt.intensity(c, g), abs=2e-4)  # 4 decimals
    assert ies.flux() == pytest.approx(ldt.flux(), rel=1e-6)


def test_ies_1995_reads_like_2002(tmp_path: Path) -> None:
    write_ies(tmp_path / "a.ies", version="LM-63-1995")
    write_ies(tmp_path / "b.ies", version="LM-63-2002")
    a, b = read_photometry(tmp_path / "a.ies"), read_photometry(tmp_path / "b.ies")
    assert np.array_equal(a.candela, b.candela)
    assert a.notes["format"] == "IESNA:LM-63-1995"


def test_ies_cut_short_names_file_and_line(tmp_path: Path) -> None:
    text = shared_file("photometry/luxcore_ASA_15M_R2.ies").read_text()
    cut = tmp_path / "cut.ies"
    cut.write_text("\n".join(text.splitlines()[:60]))
    with pytest.raises(InvalidInput, match=r"cut\.ies: line 60: file ends before candela"):
        read_photometry(cut)


def test_bad_number_names_file_and_line(tmp_path: Path) -> None:
    write_ldt(tmp_path / "bad.ldt", 0)
    lines = (tmp_path / "bad.ldt").read_text(encoding="latin-1").splitlines()
    lines[80] = "twelve"
    (tmp_path / "bad.ldt").write_text("\n".join(lines), encoding="latin-1")
    with pytest.raises(InvalidInput, match=r"bad\.ldt: line 81: .* must be a number, got "
                                           r"'twelve'"):
        read_photometry(tmp_path / "bad.ldt")


def test_type_b_ies_is_refused(tmp_path: Path) -> None:
    write_ies(tmp_path / "b.ies")
    text = (tmp_path / "b.ies").read_text().replace(" 1 2 0.5", " 2 2 0.5")
    (tmp_path / "b.ies").write_text(text)
    with pytest.raises(InvalidInput, match=r"b\.ies: line 5: photometric type 2 \(B\)"):
        read_photometry(tmp_path / "b.ies")


def test_built_ins_are_1000_lm_road_optics() -> None:
    """Full cut-off LED optics (nothing above 80°) and a semi-cut-off HPS lantern."""
    for name in builtin_names():
        photometry = builtin_photometry(name)
        assert photometry.flux() == pytest.approx(1000.0, rel=1e-9)
        assert "model" in photometry.notes
    led = builtin_photometry("builtin:led-road-medium")
    assert led.intensity(np.arange(0, 360, 5.0), np.full(72, 80.0)).max() == 0.0
    # the street side (C0) gets more than the house side (C180)
    assert led.intensity(np.array([0.0]), np.array([50.0])) > led.intensity(
        np.array([180.0]), np.array([50.0]))


def test_orientation_and_tilt_rotate_the_frame() -> None:
    """C0 pointing east (90°): a ray east and 45° down is C0, γ 45°; north is C90 (counted
    counter-clockwise from above); tilting the luminaire 10° up towards C0 makes that ray
    γ 35° in its frame, and the world's nadir γ 10° on the C180 side."""
    c, g = luminaire_angles(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([-1.0, -1.0]),
                            np.array([90.0, 90.0]), np.array([0.0, 0.0]))
    assert (c + 180) % 360 - 180 == pytest.approx([0.0, 90.0])  # C 360 is C0
    assert g == pytest.approx([45.0, 45.0])
    c, g = luminaire_angles(np.array([1.0, 0.0]), np.array([0.0, 0.0]), np.array([-1.0, -1.0]),
                            np.array([90.0, 90.0]), np.array([10.0, 10.0]))
    assert g == pytest.approx([35.0, 10.0]) and c[1] == pytest.approx(180.0)


def test_bilinear_interpolation_between_table_angles() -> None:
    c, g = np.array([0.0, 180.0, 360.0]), np.array([0.0, 90.0, 180.0])
    table = np.array([[0.0, 100.0, 0.0], [50.0, 150.0, 0.0], [0.0, 100.0, 0.0]])
    photometry = Photometry("t", c, g, table)
    assert photometry.intensity(np.array([90.0]), np.array([45.0]))[0] == pytest.approx(
        0.5 * (0.5 * 0 + 0.5 * 100) + 0.5 * (0.5 * 50 + 0.5 * 150))
    with pytest.raises(InvalidInput, match="must span C 0..360"):
        Photometry("t", c[:2], g, table[:2])
