"""`python -m crossfoot` runs the CLI."""

from crossfoot.cli import main

main()
