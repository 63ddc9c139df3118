"""The web app (OGC API Features, vector tiles, live stream, the 3D browser map); not part of
this release yet."""
