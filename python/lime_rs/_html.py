"""Self-contained HTML views of explanations.

lime draws its views with a 500 KB d3 bundle that often does not run (JupyterLab,
VS Code, GitHub, nbviewer). These views are plain HTML with inline styles: no
JavaScript, no ``<style>`` block, no SVG (JupyterLab's sanitiser removes both from
untrusted outputs), no outside resource. Bars are boxes of a computed width, so
the page is drawn the same with JavaScript disabled, and reads sensibly even
where styles are stripped (names, values and weights are text).

Colours follow lime's: d3's category10 (category20 from ten classes on), one
colour per class; the two sides of a label's chart are the other class and the
label (binary) or "NOT label" in cadet blue and the label (multiclass).

Every user string is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lime_rs.explanation import Explanation

Colors = tuple[str, str]  # (negative side, positive side)
Names = tuple[str, str]

# d3.scale.category20, as lime's bundle uses it: each category10 colour, then a light shade.
CATEGORY20 = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)  # fmt: skip
CATEGORY10 = CATEGORY20[::2]
NOT_COLOR = "#5f9ea0"  # lime's "NOT <label>" side (cadet blue)
OTHER_COLOR = "#a0a0a0"  # the "Other" bar of the probabilities (> 6 classes)
# Binary colours of label 1 (what a direct call without colours uses).
NEGATIVE = CATEGORY10[0]
POSITIVE = CATEGORY10[1]
# Image views: lime's get_image_and_mask marks positive superpixels green, negative red.
IMAGE_POSITIVE = CATEGORY10[2]
IMAGE_NEGATIVE = CATEGORY10[3]

FONT = (
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',"
    "Arial,'Liberation Sans','DejaVu Sans',sans-serif"
)
AXIS = "#808080"
MUTED = "opacity:.72"
CHART_HALF = 215  # px, each side of a weights chart (lime: 350px for both)
NUMBER_ROOM = 46  # px kept beside a bar for its number


# --------------------------------------------------------------------------
# Colours and numbers
# --------------------------------------------------------------------------


def palette(n_classes: int) -> tuple[str, ...]:
    """lime's class colours: category10 below ten classes, category20 from ten."""
    return CATEGORY10 if n_classes < 10 else CATEGORY20


def class_color(index: int, n_classes: int) -> str:
    colors = palette(n_classes)
    return colors[int(index) % len(colors)]


def label_colors(label: Any, n_classes: int) -> Colors:
    """``(negative, positive)`` colours of ``label``'s chart.

    Binary: the other class's colour and the label's, so each class keeps its
    own colour whichever label is shown (lime's own chart uses class 0 / class 1
    whatever the label). Multiclass: "NOT label" in cadet blue, and the label's.
    """
    label = int(label)
    if n_classes == 2 and label in (0, 1):
        return class_color(1 - label, 2), class_color(label, 2)
    return NOT_COLOR, class_color(label, n_classes)


def default_colors(label: Any) -> Colors:
    """Colours for a domain mapper called without the explanation (binary guess)."""
    try:
        label = int(label)
    except (TypeError, ValueError):
        label = 1
    return label_colors(label, 2 if label in (0, 1) else 10)


def tint(color: str, alpha: float) -> str:
    """``#rrggbb`` -> ``#rrggbbaa`` (works on light and dark backgrounds)."""
    alpha = max(0.0, min(float(alpha), 1.0))
    return f"{color}{round(alpha * 255):02x}"


def rgb(color: str) -> tuple[int, ...]:
    h = color.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


def decimals_for(scale: float) -> int | None:
    """Decimals to print a chart's weights with: lime's two, more when the
    largest weight is small (text explanations often are all below 0.05);
    None (scientific notation) when it is below 0.0001."""
    scale = abs(float(scale))
    if not math.isfinite(scale) or not scale or scale >= 0.1:
        return 2
    if scale < 1e-4:
        return None
    return max(2, 1 - math.floor(math.log10(scale)))


def fmt_weight(value: Any, digits: int | None = 2) -> str:
    """A magnitude as lime prints it (the chart's side gives the sign)."""
    v = abs(float(value))
    if v != v:  # NaN
        return "nan"
    if digits is None:
        return f"{v:.1e}"
    return f"{v:.{digits}f}"


def fmt_number(value: Any, digits: int = 2) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return escape(str(value))


def _clip01(x: Any) -> float:
    x = float(x)
    if x != x:
        return 0.0
    return max(0.0, min(x, 1.0))


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def panel(body: str, kind: str, width: int | None = None, extra_style: str = "") -> str:
    """One view, laid side by side with the others (wraps when narrow)."""
    w = f"width:{width}px;" if width else ""
    return (
        f'<div class="lime-rs-panel lime-rs-{kind}" style="display:inline-block;'
        f'vertical-align:top;{w}max-width:100%;margin:0 28px 24px 0;{extra_style}">{body}</div>'
    )


def heading(text: str) -> str:
    return (
        f'<div class="lime-rs-heading" style="font-weight:600;font-size:14px;'
        f'margin:0 0 10px 0">{escape(str(text))}</div>'
    )


def swatch(color: str, size: int = 10, margin: str = "0 6px") -> str:
    return (
        f'<i style="display:inline-block;width:{size}px;height:{size}px;background:{color};'
        f'border-radius:3px;vertical-align:-1px;margin:{margin}"></i>'
    )


def _track(frac, width, height, color):
    """A bordered box ``width`` px wide, filled ``frac`` of the way in ``color``."""
    return (
        f'<div style="width:{width - 2}px;height:{height}px;border:1px solid rgba(128,128,128,.55);'
        f'border-radius:3px">'
        f'<div style="width:{frac * (width - 2):.1f}px;height:{height}px;background:{color}">'
        f"</div></div>"
    )


def _bar(width_px, color, height=10):
    return (
        f'<i style="display:inline-block;width:{width_px:.1f}px;height:{height}px;'
        f'background:{color};vertical-align:middle"></i>'
    )


# --------------------------------------------------------------------------
# Panels
# --------------------------------------------------------------------------


def _map_classes(class_names, proba):
    """lime's PredictProba.map_classes: up to six classes in order; more, the
    four most probable and "Other". Returns (name, probability, index or None)."""
    items = list(zip(class_names, proba, range(len(proba))))
    if len(items) <= 6:
        return items
    ranked = sorted(items, key=lambda x: -x[1])
    shown = ranked[:4]
    other = sum(p for _, p, _ in ranked[4:])
    return shown + [("Other", other, None)]


def probabilities_panel(class_names: Sequence[Any] | None, proba: Sequence[Any],
                        n_classes: int | None = None) -> str:  # fmt: skip
    """Prediction probabilities: one bar per class in the class's colour."""
    proba = [float(p) for p in proba]
    n_classes = n_classes or len(proba)
    names = [str(c) for c in class_names] if class_names is not None else []
    names = names + [str(i) for i in range(len(names), len(proba))]
    rows = []
    for name, p, index in _map_classes(names, proba):
        color = OTHER_COLOR if index is None else class_color(index, n_classes)
        rows.append(
            f'<tr title="{escape(name)}: {p:.4f}">'
            f'<td style="width:118px;text-align:right;padding:3px 10px 3px 0;'
            f'overflow-wrap:anywhere;word-break:break-word;font-size:13px">{escape(name)}</td>'
            f'<td style="padding:3px 0;width:100px">{_track(_clip01(p), 100, 16, color)}</td>'
            f'<td style="padding:3px 0 3px 8px;font-size:13px;font-variant-numeric:tabular-nums">'
            f"{p:.2f}</td></tr>"
        )
    body = (
        heading("Prediction probabilities")
        + '<table style="border-collapse:collapse;font-size:13px">'
        + "".join(rows)
        + "</table>"
    )
    return panel(body, "proba", width=270)


def predicted_value_panel(value: float, vmin: float, vmax: float) -> str:
    """Regression: the predicted value on its [min, max] bar (lime's PredictedValue)."""
    value, vmin, vmax = float(value), float(vmin), float(vmax)
    frac = 1.0 if vmax == vmin else _clip01((value - vmin) / (vmax - vmin))
    side = "font-size:13px;font-variant-numeric:tabular-nums;vertical-align:top;padding-top:1px"
    body = (
        heading("Predicted value") + '<table style="border-collapse:collapse;font-size:13px"><tr>'
        f'<td style="{side};text-align:right;padding-right:8px">{fmt_number(vmin)}'
        f'<div style="font-size:11px;{MUTED}">(min)</div></td>'
        f'<td style="width:150px;vertical-align:top;padding:0">{_track(frac, 150, 18, CATEGORY10[0])}'
        f'<div style="position:relative;height:20px">'
        f'<div class="lime-rs-value" style="position:absolute;left:{frac * 100:.1f}%;'
        f"transform:translateX(-50%);white-space:nowrap;font-weight:600;font-size:13px;"
        f'padding-top:3px">{fmt_number(value)}</div></div></td>'
        f'<td style="{side};text-align:left;padding-left:8px">{fmt_number(vmax)}'
        f'<div style="font-size:11px;{MUTED}">(max)</div></td>'
        "</tr></table>"
    )
    return panel(body, "predicted-value", width=270)


def _weight_row(name, weight, scale, neg_color, pos_color, digits=2):
    name = escape(str(name))
    weight = float(weight)
    size = 0.0 if scale == 0 else abs(weight) / scale * (CHART_HALF - NUMBER_ROOM - 6)
    size = max(size, 1.0) if weight != 0 else 0.0
    number = f'<span style="font-size:11px;{MUTED};font-variant-numeric:tabular-nums">{fmt_weight(weight, digits)}</span>'
    name_div = f'<div style="overflow-wrap:anywhere;word-break:break-word;font-size:13px;line-height:1.3">{name}</div>'
    cell = "padding:4px 6px 3px 6px;vertical-align:top"
    axis = f"border-right:2px solid {AXIS}"
    line = (
        f"{_bar(size, pos_color)} {number}" if weight > 0 else f"{number} {_bar(size, neg_color)}"
    )
    filled = (
        f'{name_div}<div style="white-space:nowrap;line-height:12px;margin-top:2px">{line}</div>'
    )
    if weight > 0:
        left = f'<td style="{cell};{axis}"></td>'
        right = f'<td style="{cell};text-align:left">{filled}</td>'
    else:
        left = f'<td style="{cell};{axis};text-align:right">{filled}</td>'
        right = f'<td style="{cell}"></td>'
    return f'<tr title="{name}: {weight:+.4f}">{left}{right}</tr>'


def weights_panel(exp: Sequence[tuple[Any, Any]], neg_name: str, pos_name: str, neg_color: str,
                  pos_color: str, caption: str | None = None) -> str:  # fmt: skip
    """lime's two-sided bar chart of one label: features against the label on
    the left, for it on the right; names above their bars, centred axis."""
    scale = max((abs(float(w)) for _, w in exp), default=0.0)
    title_cell = "padding:0 6px 8px 6px;font-weight:600;font-size:14px;vertical-align:bottom"
    header = (
        f'<tr><td style="{title_cell};text-align:right;overflow-wrap:anywhere">'
        f"{escape(str(neg_name))}{swatch(neg_color)}</td>"
        f'<td style="{title_cell};text-align:left;overflow-wrap:anywhere">'
        f"{swatch(pos_color)}{escape(str(pos_name))}</td></tr>"
    )
    digits = decimals_for(scale)
    rows = "".join(_weight_row(n, w, scale, neg_color, pos_color, digits) for n, w in exp)
    if not exp:
        rows = (
            f'<tr><td colspan="2" style="padding:6px;text-align:center;{MUTED}">'
            "no features</td></tr>"
        )
    foot = (
        f'<div style="font-size:11px;{MUTED};margin-top:8px;text-align:center">{caption}</div>'
        if caption
        else ""
    )
    body = (
        f'<table style="border-collapse:collapse;table-layout:fixed;width:{2 * CHART_HALF}px;'
        f'font-size:13px"><colgroup><col style="width:{CHART_HALF}px">'
        f'<col style="width:{CHART_HALF}px"></colgroup>'
        f"{header}{rows}</table>{foot}"
    )
    return panel(body, "explanation", width=2 * CHART_HALF)


def legend(names: Names | None, colors: Colors) -> str:
    """A one-line key of the two sides: '■ NOT label  ■ label'."""
    if not names:
        return ""
    (neg_name, pos_name), (neg, pos) = names, colors
    return (
        '<div class="lime-rs-legend" style="font-size:12px;margin:-4px 0 8px 0">'
        f"{swatch(neg, margin='0 5px 0 0')}{escape(str(neg_name))}"
        f"{swatch(pos, margin='0 5px 0 14px')}{escape(str(pos_name))}</div>"
    )


def table_panel(rows: Iterable[tuple[Any, Any, Any]], colors: Colors | None = None,
                names: Names | None = None) -> str:  # fmt: skip
    """The instance as a Feature / Value table, each row tinted by the sign of
    its feature's weight. ``rows``: (name, value, weight); ``names``: the
    (negative, positive) sides, for a key under the heading."""
    neg, pos = colors or default_colors(1)
    body = []
    for name, value, weight in rows:
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            weight = 0.0
        color = pos if weight > 0 else neg if weight < 0 else None
        bg = f' style="background:{tint(color, 0.3)}"' if color else ""
        edge = color or "transparent"
        name = escape(str(name))
        body.append(
            f'<tr{bg} title="{name}: weight {weight:+.4f}">'
            f'<td style="border-left:4px solid {edge};padding:4px 14px 4px 8px;'
            f"overflow-wrap:anywhere;word-break:break-word;max-width:300px;font-size:13px;"
            f'border-bottom:1px solid rgba(128,128,128,.18)">{name}</td>'
            f'<td style="padding:4px 8px 4px 14px;text-align:right;font-size:13px;'
            f"font-variant-numeric:tabular-nums;overflow-wrap:anywhere;max-width:220px;"
            f'border-bottom:1px solid rgba(128,128,128,.18)">{escape(str(value))}</td></tr>'
        )
    th = (
        f"padding:0 8px 5px 12px;font-size:12px;font-weight:600;{MUTED};"
        "border-bottom:1px solid rgba(128,128,128,.5)"
    )
    html = (
        heading("Feature values")
        + legend(names, (neg, pos))
        + '<div style="max-height:420px;overflow:auto">'
        + '<table style="border-collapse:collapse;font-size:13px">'
        + f'<thead><tr><th style="{th};text-align:left">Feature</th>'
        + f'<th style="{th};text-align:right">Value</th></tr></thead>'
        + f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    return panel(html, "table")


def text_panel(doc: str, occurrences: Iterable[tuple[int, int, str, float]],
               colors: Colors | None = None, opacity: bool = True,
               names: Names | None = None) -> str:  # fmt: skip
    """The document with each explained word highlighted.

    ``occurrences``: (start, end, word, weight), positions in ``doc``; alpha is
    ``|weight| / max |weight|`` as lime's (solid when ``opacity`` is False).
    """
    neg, pos = colors or default_colors(1)
    occurrences = sorted(occurrences, key=lambda o: o[0])
    scale = max((abs(o[3]) for o in occurrences), default=0.0) or 1.0
    pieces = []
    cursor = 0
    for start, end, word, weight in occurrences:
        if start < cursor:  # overlapping tokens: the first one wins
            continue
        r, g, b = rgb(pos if weight > 0 else neg)
        alpha = max(abs(weight) / scale, 0.12) if opacity else 1.0
        pieces.append(escape(doc[cursor:start]))
        pieces.append(
            f'<span style="background:rgba({r},{g},{b},{alpha:.3f});border-radius:2px;'
            f'padding:1px 0" title="{escape(str(word))}: {weight:+.4f}">'
            f"{escape(doc[start:end])}</span>"
        )
        cursor = end
    pieces.append(escape(doc[cursor:]))
    body = (
        heading("Text with highlighted words")
        + legend(names, (neg, pos))
        + '<div class="lime-rs-doc" style="white-space:pre-wrap;overflow-wrap:anywhere;'
        'line-height:1.75;font-size:13.5px;max-height:420px;overflow:auto;padding-right:4px">'
        + "".join(pieces)
        + "</div>"
    )
    return panel(body, "text", extra_style="min-width:260px;max-width:640px")


# --------------------------------------------------------------------------
# PNG (pure numpy + zlib) and images
# --------------------------------------------------------------------------


def png_bytes(image: np.ndarray) -> bytes:
    """Encodes an (h, w) or (h, w, 3|4) uint8 array as PNG (no dependencies)."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"image: expected (h, w), (h, w, 3) or (h, w, 4), got {arr.shape}")
    if arr.dtype != np.uint8:
        raise TypeError(f"image: expected uint8 pixels, got {arr.dtype}")
    h, w, c = arr.shape
    color_type = {1: 0, 3: 2, 4: 6}[c]
    raw = np.empty((h, 1 + w * c), dtype=np.uint8)
    raw[:, 0] = 0  # filter: none
    raw[:, 1:] = np.ascontiguousarray(arr).reshape(h, w * c)

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def png_data_uri(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def to_uint8_rgb(image: np.ndarray) -> np.ndarray:
    """An image as lime's explainers take it (floats in [0, 1] or [0, 255],
    integers, grayscale) -> (h, w, 3) uint8."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.ndim != 3:
        raise ValueError(f"image: expected a 2-D or 3-D array, got shape {img.shape}")
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    img = img[:, :, :3]
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    f = img.astype(np.float64)
    f = np.where(np.isfinite(f), f, 0.0)
    if img.dtype.kind == "b":
        f = f * 255.0
    elif img.dtype.kind == "f" and f.size and f.max() <= 1.0 and f.min() >= 0.0:
        f = f * 255.0
    elif img.dtype.kind in "iu" and f.size and f.max() > 255:
        f = f * (255.0 / f.max())
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def select_superpixels(
    exp: Iterable[tuple[Any, Any]], num_features: int = 5, positive_only: bool = False,
    negative_only: bool = False, min_weight: float = 0.0,
) -> list[tuple[Any, float]]:  # fmt: skip
    """The superpixels lime's get_image_and_mask would mark: the first
    ``num_features`` of ``exp`` (sorted by |weight|) with |weight| >= min_weight,
    of the requested sign. Returns [(segment, weight)]."""
    if positive_only and negative_only:
        raise ValueError("positive_only and negative_only cannot be true at the same time.")
    chosen = []
    for f, w in exp:
        w = float(w)
        if positive_only and not (w > 0 and w > min_weight):
            continue
        if negative_only and not (w < 0 and abs(w) > min_weight):
            continue
        if not (positive_only or negative_only) and abs(w) < min_weight:
            continue
        chosen.append((f, w))
        if len(chosen) >= num_features:
            break
    return chosen


def _working_scale(h, w, target):
    """Integer factor for the pixels drawn on: block-mean down (k < -1) when
    the image is much larger than shown, nearest up (k > 1) when much smaller
    (so outlines stay thin); the browser scales the rest of the way."""
    longest = max(h, w)
    if longest > 2 * target:
        return -int(longest // target)
    if longest < target / 2:
        return int(-(-target // longest))
    return 1


def _rescale(img, seg, k):
    """Image (block mean) and segments (nearest) at the working resolution."""
    if k < -1:
        k = -k
        h, w = (seg.shape[0] // k) * k, (seg.shape[1] // k) * k
        img = img[:h, :w].astype(np.float32)
        img = img.reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))
        seg = seg[k // 2 : h : k, k // 2 : w : k]
        return img, seg
    if k > 1:
        img = np.repeat(np.repeat(img, k, axis=0), k, axis=1)
        seg = np.repeat(np.repeat(seg, k, axis=0), k, axis=1)
    return img.astype(np.float32), seg


def _boundary(seg):
    """Pixels whose 4-neighbourhood holds another segment (or the border)."""
    edge = np.zeros(seg.shape, dtype=bool)
    dv = seg[1:, :] != seg[:-1, :]
    dh = seg[:, 1:] != seg[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    return edge


def _grow(mask):
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def image_overlay(image: np.ndarray, segments: np.ndarray, chosen: Sequence[tuple[Any, float]],
                  target: int = 320, fade: bool = True,
                  ) -> tuple[np.ndarray, np.ndarray, list[tuple[Any, ...]]]:  # fmt: skip
    """The image with the ``chosen`` superpixels outlined (positive green,
    negative red, as lime's get_image_and_mask) and, when ``fade``, the rest
    faded; drawn for showing with its longest side ``target`` pixels (outlines
    about 2 of those pixels wide).

    Returns (original rgb uint8, overlay rgb uint8, [(rank, segment, weight,
    (y, x) centre as fractions)]).
    """
    img = to_uint8_rgb(image)
    seg = np.asarray(segments)
    if seg.shape != img.shape[:2]:
        raise ValueError(
            f"segments: expected one label per pixel, shape {img.shape[:2]}, got {seg.shape}"
        )
    base, seg = _rescale(img, seg, _working_scale(seg.shape[0], seg.shape[1], target))
    original = np.clip(np.rint(base), 0, 255).astype(np.uint8)
    out = base.copy()
    ids = [f for f, _ in chosen]
    if ids and fade:
        rest = ~np.isin(seg, ids)
        out[rest] = out[rest] * 0.4 + 225 * 0.6
    edge = _boundary(seg)
    width = max(1, round(2.0 * max(seg.shape) / target))
    for sign, color in ((-1, IMAGE_NEGATIVE), (1, IMAGE_POSITIVE)):
        picked = [f for f, w in chosen if (w > 0) == (sign > 0)]
        if not picked:
            continue
        inside = np.isin(seg, picked)
        line = edge & inside
        for _ in range(width - 1):
            line = _grow(line) & inside
        out[line] = rgb(color)
    centres = []
    h, w = seg.shape
    for rank, (f, wt) in enumerate(chosen, start=1):
        ys, xs = np.nonzero(seg == f)
        if ys.size:
            # the member pixel nearest the centroid (the centroid of a concave
            # superpixel can fall outside it)
            cy, cx = ys.mean(), xs.mean()
            j = int(np.argmin((ys - cy) ** 2 + (xs - cx) ** 2))
            centres.append((rank, f, wt, ((ys[j] + 0.5) / h, (xs[j] + 0.5) / w)))
    overlay = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return original, overlay, centres


def _shown_size(arr, target):
    h, w = arr.shape[:2]
    scale = target / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _img_tag(arr, alt, width, height):
    return (
        f'<img alt="{escape(alt)}" src="{png_data_uri(arr)}" width="{width}" height="{height}" '
        f'style="display:block;width:{width}px;height:{height}px;max-width:none;'
        f'border-radius:3px">'
    )


def image_panels(
    image: np.ndarray,
    segments: np.ndarray,
    exp: Sequence[tuple[Any, Any]],
    label_name: str,
    num_features: int = 5,
    positive_only: bool = False,
    negative_only: bool = False,
    min_weight: float = 0.0,
    caption: str | None = None,
    show_original: bool = True,
    size: int = 300,
) -> str:
    """An image explanation: the image, the image with its explaining
    superpixels outlined and numbered, and their weights chart; images shown
    with their longest side ``size`` pixels."""
    chosen = select_superpixels(exp, num_features, positive_only, negative_only, min_weight)
    original, overlay, centres = image_overlay(image, segments, chosen, target=size)
    w, h = _shown_size(overlay, size)
    badges = []
    for rank, f, wt, (cy, cx) in centres:
        color = IMAGE_POSITIVE if wt > 0 else IMAGE_NEGATIVE
        badges.append(
            f'<div title="superpixel {escape(str(f))}: {wt:+.4f}" style="position:absolute;'
            f"left:{cx * 100:.2f}%;top:{cy * 100:.2f}%;margin:-9px 0 0 -9px;width:18px;"
            f"height:18px;line-height:18px;border-radius:9px;background:{color};color:#fff;"
            f'font-size:11px;font-weight:700;text-align:center;box-shadow:0 0 0 1.5px #fff">'
            f"{rank}</div>"
        )
    name = str(label_name)
    key = (
        f'<div style="font-size:12px;margin-top:8px">{swatch(IMAGE_POSITIVE, margin="0 5px 0 0")}'
        f"for {escape(name)}{swatch(IMAGE_NEGATIVE, margin='0 5px 0 14px')}against</div>"
    )
    marked = (
        heading(f"Superpixels explaining {name}")
        + f'<div style="position:relative;width:{w}px;height:{h}px">'
        + _img_tag(overlay, f"the image with the superpixels explaining {name} outlined", w, h)
        + "".join(badges)
        + "</div>"
        + key
    )
    parts = []
    if show_original:
        parts.append(
            panel(heading("Image") + _img_tag(original, "the image", w, h), "image", width=w)
        )
    parts.append(panel(marked, "image-explanation", width=w))
    rows = [(f"#{rank}  superpixel {f}", wt) for rank, f, wt, _ in centres]
    parts.append(weights_panel(rows, f"NOT {name}", name, IMAGE_NEGATIVE, IMAGE_POSITIVE, caption))
    return "".join(parts)


# --------------------------------------------------------------------------
# Whole explanation
# --------------------------------------------------------------------------


def _scalar(x):
    return float(np.ravel(np.asarray(x, dtype=float))[0])


def _caption(exp, keys):
    """Local model summary under a chart (intercept, local prediction, R²);
    ``keys``: where to look, in order (regression keeps score under 0)."""

    def find(store):
        if not isinstance(store, dict):
            return None
        for k in keys:
            if store.get(k) is not None:
                return store[k]
        return None

    parts = []
    try:
        intercept, local_pred, score = find(exp.intercept), find(exp.local_pred), find(exp.score)
        if intercept is not None:
            parts.append(f"intercept {_scalar(intercept):.3g}")
        if local_pred is not None:
            parts.append(f"local prediction {_scalar(local_pred):.3g}")
        if score is not None:
            parts.append(f"R² {_scalar(score):.2f}")
    except (TypeError, ValueError, IndexError):
        return None
    return ("local model: " + " · ".join(parts)) if parts else None


def sampling_text(sampling: Any) -> str | None:
    """One short line on what ``num_samples="auto"`` did (``exp.sampling``):
    "certified at 95% after 1,000 model rows (3 rounds)" or "not certified
    at 95%: 5,000 model rows (max_samples reached)". None for a fixed
    ``num_samples`` (nothing was claimed) or no record."""
    if not isinstance(sampling, dict) or not sampling.get("adaptive"):
        return None
    try:
        n, rounds = int(sampling["num_samples"]), int(sampling["rounds"])
        confidence = sampling.get("confidence")
        level = "" if confidence is None else f" at {float(confidence) * 100:.4g}%"
        plural = "round" if rounds == 1 else "rounds"
        if sampling.get("exact"):  # text and images: every distinct perturbation once
            return f"exact: every distinct perturbation, {n:,} model rows"
        if sampling.get("certified"):
            return f"certified{level} after {n:,} model rows ({rounds} {plural})"
        reason = str(sampling.get("reason") or "max_samples reached").split(";")[0]
        return f"not certified{level}: {n:,} model rows ({reason}; {rounds} {plural})"
    except (KeyError, TypeError, ValueError):
        return None


def sampling_panel(exp: Any) -> str:
    """``sampling_text`` as a muted line under the views ("" when none)."""
    text = sampling_text(getattr(exp, "sampling", None))
    if text is None:
        return ""
    return (
        f'<div class="lime-rs-sampling" style="font-size:11px;{MUTED};'
        f'margin:0 0 8px 0">{escape(text)}</div>'
    )


def _sides(exp: Explanation, label: Any, n_classes: int) -> tuple[Names, Colors]:
    """((negative name, positive name), (negative colour, positive colour)) of a
    label's chart: the other class in a binary problem, else "NOT label"."""
    name = _class_name(exp, label)
    if n_classes == 2 and int(label) in (0, 1):
        neg_name = _class_name(exp, 1 - int(label))
    else:
        neg_name = f"NOT {name}"
    return (neg_name, name), label_colors(label, n_classes)


def _class_name(exp, label):
    names = exp.class_names
    try:
        return str(names[label])
    except (TypeError, IndexError, KeyError):
        return str(label)


def _n_classes(exp):
    if exp.class_names is not None:
        return len(exp.class_names)
    if getattr(exp, "predict_proba", None) is not None:
        return len(exp.predict_proba)
    return max((int(k) for k in exp.local_exp), default=1) + 1


def _mapper_html(mapper: Any, exp_ids: list[tuple[Any, Any]], label: Any, colors: Colors,
                 names: Names, kwargs: dict[str, Any]) -> str:  # fmt: skip
    """The mapper's view of the instance, in the chart's colours when the
    mapper draws its own (DomainMapper.instance_html); a duck-typed mapper, as
    lime accepts, gives its visualize_instance_html."""
    from lime_rs.explanation import DomainMapper

    if isinstance(mapper, DomainMapper):
        out = mapper.instance_html(exp_ids, label, colors, names, **kwargs)
    else:
        out = mapper.visualize_instance_html(exp_ids, label, "raw_div", "exp", **kwargs)
    return out or ""


def explanation_fragment(
    exp: Explanation, labels: Iterable[Any] | None = None, predict_proba: bool = True,
    show_predicted_value: bool = True, dark_mode: bool = False, **kwargs: Any,
) -> str:  # fmt: skip
    """The views of an :class:`~lime_rs.explanation.Explanation` as one
    ``<div>`` (what a notebook shows)."""
    parts = []
    if exp.mode == "classification":
        if labels is None:
            labels = exp.available_labels()
        elif isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
            raise TypeError(
                f"labels: expected a list of labels (e.g. [1] or exp.available_labels()), "
                f"got {labels!r}"
            )
        labels = list(labels)
        n_classes = _n_classes(exp)
        if predict_proba and exp.predict_proba is not None:
            parts.append(probabilities_panel(exp.class_names, list(exp.predict_proba), n_classes))
        for label in labels:
            rows = exp.as_list(label)
            names, colors = _sides(exp, label, n_classes)
            parts.append(weights_panel(rows, *names, *colors, _caption(exp, [label])))
        if labels:  # the instance once, in the first label's colours (as lime)
            first = labels[0]
            names, colors = _sides(exp, first, n_classes)
            key = exp._label_key(first)
            parts.append(
                _mapper_html(exp.domain_mapper, exp.local_exp[key], first, colors, names, kwargs)
            )
    else:
        key = exp.dummy_label
        if show_predicted_value and exp.predicted_value is not None:
            parts.append(
                predicted_value_panel(
                    _scalar(exp.predicted_value), float(exp.min_value), float(exp.max_value)
                )
            )
        names, colors = ("negative", "positive"), label_colors(1, 2)
        parts.append(weights_panel(exp.as_list(), *names, *colors, _caption(exp, [key, 0])))
        parts.append(
            _mapper_html(exp.domain_mapper, exp.local_exp[key], key, colors, names, kwargs)
        )
    parts.append(sampling_panel(exp))
    return root(parts, dark_mode)


def root(parts: Iterable[str], dark_mode: bool = False) -> str:
    """The views side by side in one ``<div>`` (what a notebook shows). Text
    takes the surrounding colour (light and dark notebook themes alike) unless
    ``dark_mode`` asks for white."""
    color = "color:#f2f2f2;" if dark_mode else ""
    return (
        f'<div class="lime-rs" style="{FONT};font-size:13px;line-height:1.35;{color}'
        f'text-align:left;padding:4px 0">' + "".join(p for p in parts if p) + "</div>"
    )


def page(fragment: str, title: str = "LIME explanation", dark_mode: bool = False) -> str:
    """A whole HTML document around a fragment (starts with ``<html>`` as lime's)."""
    bg = "background:#16181d;color:#f2f2f2;" if dark_mode else "background:#fff;color:#1f2328;"
    return (
        '<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body lang="en" style="margin:0;padding:20px 24px;{bg}">{fragment}</body></html>'
    )


def explanation_page(
    exp: Explanation, labels: Iterable[Any] | None = None, predict_proba: bool = True,
    show_predicted_value: bool = True, dark_mode: bool = False, **kwargs: Any,
) -> str:  # fmt: skip
    """The whole page for an :class:`~lime_rs.explanation.Explanation`."""
    fragment = explanation_fragment(
        exp, labels, predict_proba, show_predicted_value, dark_mode, **kwargs
    )
    return page(fragment, dark_mode=dark_mode)
