"""`python -m omtui` runs the same CLI as the `omtui` script."""

from omtui.cli import main

if __name__ == "__main__":
    main()
