"""Templates shipped inside the package (the demo's service)."""
