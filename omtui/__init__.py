"""omtui: run a professional members' club from the terminal."""

__version__ = "0.1.0"
