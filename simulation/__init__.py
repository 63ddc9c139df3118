"""Simulations over the twin: network outages with their cascade across networks, isolation,
restoration, criticality and traces (``simulation.snapshot``, docs/simulation.md), and street
lighting coverage (``simulation.lighting``).

They read the twin through ``twin.read`` and the live state through ``twin.live``, and write
nothing but named scenarios (``twin.scenarios``).
"""
