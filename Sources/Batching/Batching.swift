// The Batching module. See README.md (Architecture) for what it owns.
