"""The MEGC2019 "u, v, optical strain" composite image (STSTNet's input, paper 003's baseline).

On disk (``STSNet_whole_norm_u_v_os/<sub>_<clip> .png``) it is an RGB 28x28 PNG: channel 0 =
horizontal flow u, 1 = vertical flow v, 2 = optical strain, each min-max scaled to 0-255 per
image. Every circulated file has exactly 0 and 255 in every channel, so the scaling is done
after resizing to 28x28; :func:`encode_composite` does the same.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from .flow import check_flow
from .strain import optical_strain

#: STSTNet / MEGC2019 composite side length.
COMPOSITE_SIZE = 28


def _minmax_uint8(channel: np.ndarray) -> np.ndarray:
    lo, hi = float(channel.min()), float(channel.max())
    if hi <= lo:
        return np.zeros(channel.shape, dtype=np.uint8)
    return np.rint((channel - lo) / (hi - lo) * 255.0).astype(np.uint8)


def encode_composite(flow: np.ndarray, strain: np.ndarray | None = None,
                     size: int = COMPOSITE_SIZE) -> np.ndarray:
    """``(size, size, 3)`` uint8 RGB: (u, v, strain), each resized then min-max scaled to 0-255.

    ``strain`` defaults to :func:`optical_strain` of ``flow``. A constant channel becomes 0.
    """
    import cv2

    flow = check_flow(flow)
    if strain is None:
        strain = optical_strain(flow)
    strain = np.asarray(strain, dtype=np.float32)
    if strain.shape != flow.shape[:2]:
        raise DataError(f"strain has shape {strain.shape}; expected {flow.shape[:2]} like the flow")
    if int(size) < 1:
        raise DataError(f"composite size must be >= 1, got {size}")
    stack = np.dstack([flow[:, :, 0], flow[:, :, 1], strain]).astype(np.float32)
    h, w = stack.shape[:2]
    interp = cv2.INTER_AREA if (h > size or w > size) else cv2.INTER_LINEAR
    small = cv2.resize(stack, (int(size), int(size)), interpolation=interp)
    return np.dstack([_minmax_uint8(small[:, :, c]) for c in range(3)])


def decode_composite(img: np.ndarray) -> np.ndarray:
    """``(3, S, S)`` float32 in [0, 1] (channels u, v, strain) from an ``(S, S, 3)`` uint8 RGB composite."""
    if img is None:
        raise DataError("composite image is None; expected an (S, S, 3) uint8 array")
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.size == 0:
        raise DataError(f"composite image has shape {arr.shape}; expected (S, S, 3) with channels u, v, strain")
    if arr.dtype != np.uint8:
        raise DataError(f"composite image has dtype {arr.dtype}; expected uint8")
    return np.ascontiguousarray(arr.transpose(2, 0, 1), dtype=np.float32) / 255.0


def centre_composites(X: np.ndarray, channels: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """Decoded composites ``(N, C, S, S)`` with each image's flow channels shifted so that their
    median is 0.5; a copy, float32.

    The min-max scaling of :func:`encode_composite` puts zero motion at a different level in every
    image (wherever 0 fell between that image's extremes), so the same still skin reads 0.2 in one
    composite and 0.8 in another. Most of a face barely moves between onset and apex, so the median
    is an estimate of that level; after the shift it is 0.5 in every image. The shift keeps the
    mirror convention (u → 1 − u keeps a median of 0.5). Strain (channel 2) has its zero at 0 already.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 4 or X.shape[1] <= max(channels, default=-1):
        raise DataError(f"centring needs (N, C, S, S) composites with channels {list(channels)}, got shape {X.shape}")
    out = X.copy()
    idx = list(channels)
    med = np.median(X[:, idx].reshape(len(X), len(idx), -1), axis=2)
    out[:, idx] += (0.5 - med)[:, :, None, None].astype(np.float32)
    return out


#: Spread (root-mean-square deviation of u and v from 0.5) of a standardised composite: a round
#: figure fixed a priori; the networks that read it normalise their first layer's output anyway.
STANDARD_SPREAD = 0.125


def standardise_composites(X: np.ndarray, channels: tuple[int, ...] = (0, 1),
                           spread: float = STANDARD_SPREAD) -> np.ndarray:
    """Decoded composites ``(N, C, S, S)`` centred as :func:`centre_composites` and then scaled
    about 0.5 so that the root-mean-square deviation of each image's flow channels from 0.5 is
    ``spread``; a copy, float32.

    Min-max scaling sets each image's contrast by its two extreme pixels, so the same motion reads
    strong in one composite and faint in another; after this every image carries the same motion
    energy. One factor per image for u and v together keeps the direction of every flow vector as
    the composite gives it, and the mirror convention (u → 1 − u) still holds. An image whose flow
    channels are constant is only centred. Strain (channel 2) is left as it is.
    """
    if not float(spread) > 0:
        raise DataError(f"spread must be a positive number, got {spread!r}")
    out = centre_composites(X, channels)
    idx = list(channels)
    dev = out[:, idx] - 0.5
    sd = np.sqrt(np.mean(np.square(dev.reshape(len(out), -1), dtype=np.float64), axis=1))
    factor = np.where(sd > 0, float(spread) / np.where(sd > 0, sd, 1.0), 1.0).astype(np.float32)
    out[:, idx] = 0.5 + dev * factor[:, None, None, None]
    return out


#: The readings of decoded composites other than as given, by name (``flow_view``, ensemble votes).
COMPOSITE_VIEWS = {"centred": centre_composites, "standardised": standardise_composites}
