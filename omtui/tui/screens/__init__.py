"""Modal screens and dialogs; each returns a typed result with dismiss()."""
