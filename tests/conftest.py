"""Suite-wide pytest settings shared by tests/pv and tests/trainer."""
