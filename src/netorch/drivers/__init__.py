"""Drivers stand beside the layer stack; they import ``netorch.model`` only."""
