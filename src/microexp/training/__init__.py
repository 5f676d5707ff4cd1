"""Fitting one fold: the shared trainer of every deep recogniser, its losses, optimisers and augmentations."""
