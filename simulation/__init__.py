"""Simulations over the twin (outage spread, isolation, criticality, lighting coverage).

They read the twin through ``twin.read`` (layers as GeoDataFrames, networks as graphs); none is
part of this release yet.
"""
