"""Template tags of designer.pages."""
