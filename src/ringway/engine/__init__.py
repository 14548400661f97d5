"""What the platform does on its own: webhook delivery now; the call runner next."""
