"""The web app: OGC API Features and Tiles over the twin, the app API (assets, live stream, state,
incidents, KPIs, simulations) and the 3D browser map. ``web.app.create_app`` builds it."""
