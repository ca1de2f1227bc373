"""Run the command line: ``python -m midicoth``."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="midicoth")
