"""Spotting: where is the apex of a clip, and where are micro-expressions in a longer one?

Apex spotting follows paper 004: continuous frame labels (linear, exponential, log, impulse),
a modified VGG-M regressor (and four short-path variants) on onset→frame optical flow, and the
Max / SW-Max decoders, scored by MAE in frames. Interval spotting (MEGC style) finds
(onset, offset) pairs in long clips, robust to blinks and head motion.
"""
from .apex import FlowPreparation, apex_spotter, prepare_clip, regressor_inputs, spot_apex
from .baseline import baseline_curve, compensate_head_motion, motion_curve
from .continuous_labels import LABEL_KINDS, frame_labels
from .decoders import SW_MAX_WINDOW, decode_apex, max_apex, sliding_window_max_apex
from .evaluation import (PAPER_SPOTTING_FOLDS, SpottingClip, cross_validate_spotter, mean_absolute_error,
                         sample_folds, spotting_mae, subject_folds)
from .intervals import (MEGC_IOU_THRESHOLD, IntervalSpotter, interval_f1, interval_iou, match_intervals,
                        neighbour_flows, tune_interval_spotter)
from .regions import eye_mask, nose_mask
from .regressor_training import IntensityRegressor
from .vggm_regressor import VGGM_VARIANTS, ModifiedVGGMRegressor

__all__ = [
    "FlowPreparation", "apex_spotter", "prepare_clip", "regressor_inputs", "spot_apex", "baseline_curve",
    "compensate_head_motion", "motion_curve", "LABEL_KINDS", "frame_labels", "SW_MAX_WINDOW", "decode_apex",
    "max_apex", "sliding_window_max_apex", "PAPER_SPOTTING_FOLDS", "SpottingClip", "cross_validate_spotter",
    "mean_absolute_error", "sample_folds", "spotting_mae", "subject_folds", "MEGC_IOU_THRESHOLD",
    "IntervalSpotter", "interval_f1", "interval_iou", "match_intervals", "neighbour_flows",
    "tune_interval_spotter", "eye_mask", "nose_mask", "IntensityRegressor", "VGGM_VARIANTS",
    "ModifiedVGGMRegressor",
]
