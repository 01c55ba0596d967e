"""``python -m scalinglaws``: the same command line as the ``scalinglaws`` script."""

from scalinglaws.cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    main()
