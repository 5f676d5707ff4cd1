"""Training-data augmentation: class-conditional GAN optical flows, AU-driven face animation.

Super-resolution of low-resolution faces is a stage of its own: :mod:`microexp.restore`."""
