"""Settings: one typed object, read from ``TWIN_*`` environment variables and passed explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from twin.cluster import EmbeddedCluster


class Settings(BaseSettings):
    """Where the twin keeps its data and which database it uses.

    ``database_url`` unset means the embedded default: a private PostgreSQL + PostGIS cluster in
    ``home``/postgres that the twin initialises, starts and reuses.
    """

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    database_url: str | None = Field(default=None, description="An existing PostgreSQL server")
    home: Path = Field(default=Path(".twin"), description="Folder the twin owns (embedded cluster)")
    pg_bindir: Path | None = Field(
        default=None, description="PostgreSQL server binaries for the embedded cluster"
    )
    tile_seed_max_zoom: int = Field(
        default=14, ge=-1, le=16,
        description="The web server makes the map layers' tiles from zoom 10 to this one ahead "
                    "(10-16; -1: none)",
    )
    shared_data: Path | None = Field(
        default=None, description="Folder of optional real reference data (ward names, limits)"
    )
    anonymous_role: Literal["none", "viewer"] = Field(
        default="none", description="What a request without credentials may do: none (every "
                                    "route but login, the browser app and the API docs needs "
                                    "them) or viewer (reads open to the public)")

    token_max_days: int = Field(
        default=90, ge=1, le=3650, description="An API token's default and longest life (days)")

    # -- request limits (web/limits.py, docs/security.md "Hardening") --
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body of the web API but uploads "
                                                "and the live ingest (bytes)")
    max_ingest_bytes: int = Field(
        default=2 * 1_048_576, ge=1024,
        description="Largest live ingest message over HTTP (bytes): 10,000 observations, the most "
                    "a message may hold, take ~1.1 MB")
    max_upload_bytes: int = Field(
        default=200 * 1_048_576, ge=1024, description="Largest import upload (bytes)")
    rate_limit_ingest: str = Field(
        default="1000/second", description="Live ingest requests per device credential (or per "
                                           "client address without one), e.g. '1000/second'")
    rate_limit_upload: str = Field(
        default="10/minute", description="Import uploads per user (or client address)")
    rate_limit_login: str = Field(
        default="10/minute", description="Login attempts per client address")
    rate_limit_simulate: str = Field(
        default="60/minute", description="Simulation requests (/api/simulate/) per user (or "
                                         "client address)")
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (and send HSTS) even when the "
                                   "server sees plain http: behind a TLS proxy it does not trust "
                                   "for forwarded headers")

    @field_validator("rate_limit_ingest", "rate_limit_upload", "rate_limit_login",
                     "rate_limit_simulate")
    @classmethod
    def _rate(cls, value: str) -> str:
        """A rate in the ``limits`` notation ('10/minute', '5/second;100/hour'), checked at start."""
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a rate such as '10/minute' or '5/second;100/hour'"
                             ) from None
        return value

    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    def cluster(self) -> EmbeddedCluster:
        """The embedded cluster these settings describe."""
        return EmbeddedCluster(self.resolved_home(), self.pg_bindir)

    def shared_data_dir(self) -> Path | None:
        """The reference data folder, if present: the setting, else ``../shared/data`` of the repo."""
        candidates = [self.shared_data] if self.shared_data else []
        candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
        return next((p for p in candidates if p is not None and p.is_dir()), None)
