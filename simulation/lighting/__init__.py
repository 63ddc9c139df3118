"""Street-lighting coverage, EN 13201 style: photometry (IES LM-63, EULUMDAT and the project's
own built-in distributions), illuminance on EN 13201-3 grids over every lit road, EN 13201-2
classes, dark spots, trees' shade and the pruning list, what-ifs, and a Cloud-Optimised GeoTIFF.

``study_lighting`` is the pure calculation (frames in, figures out, no database);
``run_lighting`` runs it over the twin. See docs/lighting.md.
"""

from simulation.lighting.catalogue import read_photometry
from simulation.lighting.photometry import Photometry
from simulation.lighting.result import LightingResult
from simulation.lighting.study import Study, study_lighting
from simulation.lighting.twin_run import Options, WhatIf, run_lighting

__all__ = ["LightingResult", "Options", "Photometry", "Study", "WhatIf", "read_photometry", "run_lighting",
           "study_lighting"]
