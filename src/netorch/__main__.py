"""``python -m netorch`` is the ``netorch`` command."""

from netorch.cli.app import main

if __name__ == "__main__":
    main()
