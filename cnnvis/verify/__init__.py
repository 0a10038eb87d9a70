"""Agreement checks against PyTorch on the same weights (needs torch; imported lazily)."""
