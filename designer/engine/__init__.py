"""Framework-free pipeline engine: schema, validation, compilation, caching and execution."""
