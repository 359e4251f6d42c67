"""sinks layer (see DESIGN.md)."""
