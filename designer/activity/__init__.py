"""The workspace activity log: an append-only record of who changed access and what is published."""
