"""Test-only module implementations and the registry that names them (for engine tests)."""
