"""The command line (`python starter.py --help`, or the `appeals` console script): cli/main.py."""

from cli.main import run

if __name__ == "__main__":
    run()
