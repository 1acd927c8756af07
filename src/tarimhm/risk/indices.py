"""Pollution indices: geo-accumulation index (Eq. 13) and heavy-metal pollution index (Eq. 14)."""

from __future__ import annotations

import numpy as np

__all__ = ["igeo", "igeo_inverse", "igeo_class", "hpi", "MULLER_CLASSES"]

#: Müller (1969) classes: (upper bound of Igeo, class number, label). Class 0 is Igeo <= 0.
MULLER_CLASSES: tuple[tuple[float, int, str], ...] = (
    (0.0, 0, "unpolluted"),
    (1.0, 1, "unpolluted to moderately polluted"),
    (2.0, 2, "moderately polluted"),
    (3.0, 3, "moderately to heavily polluted"),
    (4.0, 4, "heavily polluted"),
    (5.0, 5, "heavily to extremely polluted"),
    (np.inf, 6, "extremely polluted"),
)


def igeo(c, background, k: float = 1.5):
    r"""Geo-accumulation index.

    .. math:: I_{geo} = \log_2\left(\frac{C_n}{k\,B_n}\right)

    Eq. (13) in the paper; Müller (1969), Geojournal 2:108-118. ``c`` and ``background``
    in the same unit (mg/kg); ``k`` = 1.5 corrects for natural background variation.
    Broadcasts over arrays. Non-positive concentrations or backgrounds raise.
    """
    c = np.asarray(c, dtype=float)
    b = np.asarray(background, dtype=float)
    if k <= 0:
        raise ValueError(f"igeo: k must be > 0, got {k}")
    if np.any(~np.isfinite(c)) or np.any(c <= 0):
        raise ValueError("igeo: concentrations must be finite and > 0 (log of zero is undefined)")
    if np.any(b <= 0):
        raise ValueError("igeo: background values must be > 0")
    return np.log2(c / (k * b))


def igeo_inverse(i, background, k: float = 1.5):
    r"""Concentration with a given Igeo: :math:`C = k\,B\,2^{I_{geo}}` (inverse of Eq. 13)."""
    return k * np.asarray(background, dtype=float) * np.exp2(np.asarray(i, dtype=float))


def igeo_class(i):
    """Müller (1969) class 0-6 of Igeo values (class 0: Igeo <= 0; class 6: Igeo > 5)."""
    i = np.asarray(i, dtype=float)
    return np.clip(np.ceil(i), 0, 6).astype(int)


def hpi(m, s, ideal=0.0, form: str = "normalised"):
    r"""Heavy-metal pollution index (Mohan, Nithila & Reddy 1996, J. Environ. Sci. Health A 31:283).

    .. math::
        W_i = 1/S_i,\quad Q_i = 100\,\frac{|M_i - I_i|}{S_i - I_i},\quad
        HPI = \frac{\sum_i W_i Q_i}{\sum_i W_i}

    Eq. (14) in the paper prints the unnormalised sum :math:`\sum W_i Q_i` (``form=
    "unnormalised"``); Mohan et al. divide by :math:`\sum W_i` (``form="normalised"``, the
    default). ``m`` (µg/L) has the metals on its last axis; ``s`` (standard, µg/L) and
    ``ideal`` (I_i, µg/L) broadcast against it.
    """
    m = np.asarray(m, dtype=float)
    s = np.asarray(s, dtype=float)
    ideal = np.broadcast_to(np.asarray(ideal, dtype=float), s.shape)
    if np.any(s <= 0) or np.any(s <= ideal):
        raise ValueError("hpi: standards S_i must be > 0 and > the ideal values I_i")
    if form not in ("normalised", "unnormalised"):
        raise ValueError(f"hpi: form must be 'normalised' or 'unnormalised', got {form!r}")
    w = 1.0 / s
    q = 100.0 * np.abs(m - ideal) / (s - ideal)
    total = np.sum(w * q, axis=-1)
    return total / np.sum(w) if form == "normalised" else total
