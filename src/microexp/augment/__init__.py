"""Data augmentation: class-conditional GAN optical flows, AU-driven face animation, super-resolution."""
