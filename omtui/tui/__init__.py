"""The Textual face of omtui: presents the core, never holds club logic."""
