"""The ``netorch`` command line."""
