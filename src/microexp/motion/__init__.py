"""Motion: key frames, optical flow and strain, residual sums (ARS/RRS), LBP-TOP, composites.

Flows are ``(H, W, 2)`` float32 (u, v) in pixels; frames are ``(H, W)`` uint8 unless stated.
"""
from .clip import clip_motion, onset_apex_composite, zero_outside_valid
from .composite import (COMPOSITE_SIZE, COMPOSITE_VIEWS, centre_composites, decode_composite, encode_composite,
                        standardise_composites)
from .drawing import flow_to_hsv_image, scalar_to_image
from .flow import as_flow_frame, check_flow, farneback_flow, tvl1_flow
from .keyframes import MIN_CLIP_SPAN, N_KEY_FRAMES, clip_bounds, key_frames, onset_apex, onset_middle_apex
from .lbp_top import lbp_top, plane_codes, uniform_lut
from .residual_sum import (G_MAX, G_MIN, absolute_residual_sum, relative_residual_sum, residual_sum,
                           residual_sum_images)
from .strain import flow_magnitude_orientation, optical_strain

__all__ = [
    "COMPOSITE_SIZE", "COMPOSITE_VIEWS", "G_MAX", "G_MIN", "MIN_CLIP_SPAN", "N_KEY_FRAMES", "absolute_residual_sum",
    "as_flow_frame", "centre_composites", "check_flow", "clip_bounds", "clip_motion", "zero_outside_valid", "decode_composite",
    "encode_composite", "farneback_flow", "flow_magnitude_orientation", "flow_to_hsv_image",
    "key_frames", "lbp_top", "onset_apex", "onset_apex_composite", "onset_middle_apex", "optical_strain", "plane_codes",
    "relative_residual_sum", "residual_sum", "residual_sum_images", "scalar_to_image", "standardise_composites",
    "tvl1_flow",
    "uniform_lut",
]
