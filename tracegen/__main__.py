"""`python -m tracegen` runs the command line."""

from tracegen.cli import main

main()
