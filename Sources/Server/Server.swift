// The Server module. See README.md (Architecture) for what it owns.
