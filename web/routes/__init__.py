"""The web's routers, one per area of the API; ``web.app.create_app`` includes them."""
