"""Live feeds into the twin: message formats and their checks (:mod:`ingest.live.messages`), the
batch writer every channel shares (:mod:`ingest.live.writer`), the MQTT ingester
(:mod:`ingest.live.mqtt`), the HTTP router (:mod:`ingest.live.http`) and the demo feed
(:mod:`ingest.live.feed`). Formats and topics are documented in ``docs/live.md``."""
