"""Network device drivers: the protocol every device driver keeps, and the registry."""
