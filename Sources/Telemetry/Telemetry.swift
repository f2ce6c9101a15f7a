// The Telemetry module. See README.md (Architecture) for what it owns.
