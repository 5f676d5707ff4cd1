"""AU-driven micro-expression generation after paper 002 (FAMGAN): AU estimation from landmarks,
fine-grained AU modulation (eqs. 1–3, half faces), AU-conditioned generators, CASME II output."""
from .au_estimation import (DEFAULT_AUS, LandmarkAUEstimator, calibrate_on_displacements,
                            calibrate_on_landmark_sequences, half_face_features)
from .calibration import calibrate_on_rendered_clips, render_calibration_clips
from .casme2_layout import GeneratedClip, generate_at_reduced_size, upscale_frames, write_casme2_clips
from .ganimation import (AUConditionedGenerator, AUCritic, GANimationAUGenerator, simulated_pairs,
                         train_ganimation)
from .modulation import (SIZE_DELTAS, face_midline_x, join_half_faces, mirrored_half_faces, modulate_au_sequence,
                         multi_size_average, neutral_correction, temporal_mean_filter)
from .transfer import (TransferResult, animate_face, estimate_au_sides, modulate_sides, track_landmarks,
                       transfer_clip)
from .warp_generator import WarpAUGenerator, sided_au_dict

__all__ = [
    "DEFAULT_AUS", "LandmarkAUEstimator", "calibrate_on_displacements", "calibrate_on_landmark_sequences",
    "half_face_features", "calibrate_on_rendered_clips", "render_calibration_clips", "GeneratedClip",
    "generate_at_reduced_size", "upscale_frames", "write_casme2_clips", "SIZE_DELTAS", "face_midline_x",
    "join_half_faces", "mirrored_half_faces", "modulate_au_sequence", "multi_size_average", "neutral_correction",
    "temporal_mean_filter", "TransferResult", "animate_face", "estimate_au_sides", "modulate_sides",
    "track_landmarks", "transfer_clip", "WarpAUGenerator", "sided_au_dict", "AUConditionedGenerator", "AUCritic",
    "GANimationAUGenerator", "simulated_pairs", "train_ganimation",
]
