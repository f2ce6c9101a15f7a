// The LSTM module. See README.md (Architecture) for what it owns.
