"""Faces: detection, 68 landmarks, alignment, crops, the 15 ROIs of paper 001.

Images are ``(H, W)`` grayscale or ``(H, W, 3)`` RGB uint8 arrays; boxes are
``(x0, y0, x1, y1)`` with x1/y1 exclusive; landmarks are ``(68, 2)`` float32 (x, y).
"""
from .alignment import AlignedClip, FaceAligner, align_clip, apply_transform, crop_face, similarity_transform
from .detection import FaceDetection, clip_box, detect_face, find_face
from .drawing import draw_landmarks
from .image_input import check_image, check_landmarks, to_gray
from .landmarks import eye_centres, landmarks_68, landmarks_plausible, mouth_centre
from .roi_inputs import ROI_MOSAIC, attach_roi_inputs, roi_mosaic
from .rois import ROI_NAMES, crop_rois, facial_rois, mask_eyes, roi_mask
from ..errors import FaceNotFoundError

__all__ = [
    "AlignedClip", "FaceAligner", "FaceDetection", "FaceNotFoundError", "ROI_MOSAIC", "ROI_NAMES",
    "align_clip", "apply_transform", "attach_roi_inputs", "check_image", "check_landmarks", "clip_box", "crop_face",
    "crop_rois", "detect_face", "draw_landmarks", "eye_centres", "facial_rois",
    "find_face", "landmarks_68", "landmarks_plausible", "mask_eyes", "mouth_centre", "roi_mask",
    "roi_mosaic", "similarity_transform", "to_gray",
]
