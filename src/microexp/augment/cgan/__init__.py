"""Conditional DC-GAN optical-flow synthesis (paper 004) and its use as per-fold augmentation."""
from .augmenter import PAPER_PER_CLASS, FlowGANAugmenter, make_augmenter
from .checks import class_fidelity, diversity, frechet_distance, write_sample_grid
from .networks import FlowDiscriminator, FlowGenerator, ProjectionDiscriminator
from .training import FlowGAN, GANConfig, load_generator, save_generator, train_flow_gan

__all__ = [
    "FlowGANAugmenter", "PAPER_PER_CLASS", "make_augmenter", "FlowGenerator", "FlowDiscriminator",
    "ProjectionDiscriminator", "FlowGAN", "GANConfig", "train_flow_gan", "save_generator", "load_generator",
    "write_sample_grid", "class_fidelity", "diversity", "frechet_distance",
]
