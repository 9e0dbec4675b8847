"""Self-contained HTML views of explanations.

lime draws its views with a 500 KB d3 bundle that often does not run (JupyterLab, VS
Code, GitHub, nbviewer). These are plain HTML with inline styles: no JavaScript, no
``<style>`` block or SVG (JupyterLab's sanitiser strips both), no outside resource; bars
are boxes of a computed width, and names, values and weights are text, so a page reads
the same without scripts or styles. Colours follow lime's: d3's category10 (category20
from ten classes on), one per class; a label's chart sets the other class (binary) or
"NOT label" in cadet blue (multiclass) against the label. Every user string is escaped.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Iterable, Sequence
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lime_rs.explanation import Explanation

Colors = tuple[str, str]  # (negative side, positive side)
Names = tuple[str, str]

# d3.scale.category20, as lime's bundle uses it: each category10 colour, then a light shade.
CATEGORY20 = tuple(
    "#1f77b4 #aec7e8 #ff7f0e #ffbb78 #2ca02c #98df8a #d62728 #ff9896 #9467bd #c5b0d5 "
    "#8c564b #c49c94 #e377c2 #f7b6d2 #7f7f7f #c7c7c7 #bcbd22 #dbdb8d #17becf #9edae5".split()
)
CATEGORY10 = CATEGORY20[::2]
NOT_COLOR = "#5f9ea0"  # lime's "NOT <label>" side (cadet blue)
OTHER_COLOR = "#a0a0a0"  # the "Other" bar of the probabilities (> 6 classes)
# lime's get_image_and_mask marks positive superpixels green, negative red.
IMAGE_POSITIVE, IMAGE_NEGATIVE = CATEGORY10[2], CATEGORY10[3]

FONT = (
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',"
    "Arial,'Liberation Sans','DejaVu Sans',sans-serif"
)
AXIS = "#808080"
MUTED = "opacity:.72"
NUMS = "font-variant-numeric:tabular-nums"
WRAP = "overflow-wrap:anywhere;word-break:break-word"
TABLE = '<table style="border-collapse:collapse;font-size:13px">'
CHART_HALF = 215  # px, each side of a weights chart (lime: 350px for both)
NUMBER_ROOM = 46  # px kept beside a bar for its number


def class_color(index: int, n_classes: int) -> str:
    """lime's colour of a class: category10 below ten classes, category20 from ten."""
    colors = CATEGORY10 if n_classes < 10 else CATEGORY20
    return colors[int(index) % len(colors)]


def label_colors(label: Any, n_classes: int) -> Colors:
    """``(negative, positive)`` colours of ``label``'s chart: binary, the other
    class's and the label's (each class keeps its colour whichever label is
    shown); multiclass, cadet blue for "NOT label" and the label's."""
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
    return f"{color}{round(max(0.0, min(float(alpha), 1.0)) * 255):02x}"


def rgb(color: str) -> tuple[int, ...]:
    return tuple(int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))


def decimals_for(scale: float) -> int | None:
    """Decimals for a chart's weights: lime's two, more when the largest weight is
    small (text weights often are below 0.05); None (scientific) below 0.0001."""
    scale = abs(float(scale))
    if not math.isfinite(scale) or not scale or scale >= 0.1:
        return 2
    return None if scale < 1e-4 else max(2, 1 - math.floor(math.log10(scale)))


def _clip01(x: Any) -> float:
    return max(0.0, min(float(x), 1.0))  # NaN -> 0


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


def _track(frac: float, width: int, height: int, color: str) -> str:
    """A bordered box ``width`` px wide, filled ``frac`` of the way in ``color``."""
    return (
        f'<div style="width:{width - 2}px;height:{height}px;border:1px solid rgba(128,128,128,.55);'
        f'border-radius:3px"><div style="width:{frac * (width - 2):.1f}px;height:{height}px;'
        f'background:{color}"></div></div>'
    )


def probabilities_panel(
    class_names: Sequence[Any] | None, proba: Sequence[Any], n_classes: int | None = None
) -> str:
    """Prediction probabilities, one bar per class in its colour (lime's
    PredictProba: up to six classes; more, the four most probable and "Other")."""
    proba = [float(p) for p in proba]
    n_classes = n_classes or len(proba)
    names = [str(c) for c in class_names] if class_names is not None else []
    names += [str(i) for i in range(len(names), len(proba))]
    items: list[tuple[str, float, int | None]] = list(zip(names, proba, range(len(proba))))
    if len(items) > 6:
        ranked = sorted(items, key=lambda x: -x[1])
        items = ranked[:4] + [("Other", sum(p for _, p, _ in ranked[4:]), None)]
    rows = []
    for name, p, index in items:
        color = OTHER_COLOR if index is None else class_color(index, n_classes)
        rows.append(
            f'<tr title="{escape(name)}: {p:.4f}"><td style="width:118px;text-align:right;'
            f'padding:3px 10px 3px 0;{WRAP};font-size:13px">{escape(name)}</td>'
            f'<td style="padding:3px 0;width:100px">{_track(_clip01(p), 100, 16, color)}</td>'
            f'<td style="padding:3px 0 3px 8px;font-size:13px;{NUMS}">{p:.2f}</td></tr>'
        )
    body = heading("Prediction probabilities") + TABLE + "".join(rows) + "</table>"
    return panel(body, "proba", width=270)


def predicted_value_panel(value: float, vmin: float, vmax: float) -> str:
    """Regression: the predicted value on its [min, max] bar (lime's PredictedValue)."""
    value, vmin, vmax = float(value), float(vmin), float(vmax)
    frac = 1.0 if vmax == vmin else _clip01((value - vmin) / (vmax - vmin))
    side = f"font-size:13px;{NUMS};vertical-align:top;padding-top:1px"
    body = (
        heading("Predicted value") + TABLE + "<tr>"
        f'<td style="{side};text-align:right;padding-right:8px">{vmin:.2f}'
        f'<div style="font-size:11px;{MUTED}">(min)</div></td>'
        f'<td style="width:150px;vertical-align:top;padding:0">{_track(frac, 150, 18, CATEGORY10[0])}'
        f'<div style="position:relative;height:20px">'
        f'<div class="lime-rs-value" style="position:absolute;left:{frac * 100:.1f}%;'
        f"transform:translateX(-50%);white-space:nowrap;font-weight:600;font-size:13px;"
        f'padding-top:3px">{value:.2f}</div></div></td>'
        f'<td style="{side};text-align:left;padding-left:8px">{vmax:.2f}'
        f'<div style="font-size:11px;{MUTED}">(max)</div></td></tr></table>'
    )
    return panel(body, "predicted-value", width=270)


def _weight_row(name: Any, weight: Any, scale: float, colors: Colors, digits: int | None) -> str:
    name, weight = escape(str(name)), float(weight)
    size = 0.0 if scale == 0 else abs(weight) / scale * (CHART_HALF - NUMBER_ROOM - 6)
    size = max(size, 1.0) if weight != 0 else 0.0
    # the magnitude as lime prints it (the chart's side gives the sign)
    magnitude = f"{abs(weight):.1e}" if digits is None else f"{abs(weight):.{digits}f}"
    number = f'<span style="font-size:11px;{MUTED};{NUMS}">{magnitude}</span>'
    bar = (
        f'<i style="display:inline-block;width:{size:.1f}px;height:10px;'
        f'background:{colors[1] if weight > 0 else colors[0]};vertical-align:middle"></i>'
    )
    filled = (
        f'<div style="{WRAP};font-size:13px;line-height:1.3">{name}</div>'
        f'<div style="white-space:nowrap;line-height:12px;margin-top:2px">'
        f"{f'{bar} {number}' if weight > 0 else f'{number} {bar}'}</div>"
    )
    cell = "padding:4px 6px 3px 6px;vertical-align:top"
    axis = f"{cell};border-right:2px solid {AXIS}"
    if weight > 0:
        cells = f'<td style="{axis}"></td><td style="{cell};text-align:left">{filled}</td>'
    else:
        cells = f'<td style="{axis};text-align:right">{filled}</td><td style="{cell}"></td>'
    return f'<tr title="{name}: {weight:+.4f}">{cells}</tr>'


def weights_panel(
    exp: Sequence[tuple[Any, Any]], names: Names, colors: Colors, caption: str | None = None
) -> str:
    """lime's two-sided bar chart of one label: features against the label on
    the left, for it on the right; names above their bars, centred axis."""
    scale = max((abs(float(w)) for _, w in exp), default=0.0)
    title = "padding:0 6px 8px 6px;font-weight:600;font-size:14px;vertical-align:bottom"
    digits = decimals_for(scale)
    rows = "".join(_weight_row(n, w, scale, colors, digits) for n, w in exp)
    if not exp:
        rows = f'<tr><td colspan="2" style="padding:6px;text-align:center;{MUTED}">no features</td></tr>'
    foot = f'<div style="font-size:11px;{MUTED};margin-top:8px;text-align:center">{caption}</div>'
    body = (
        f'<table style="border-collapse:collapse;table-layout:fixed;width:{2 * CHART_HALF}px;'
        f'font-size:13px"><colgroup><col style="width:{CHART_HALF}px">'
        f'<col style="width:{CHART_HALF}px"></colgroup>'
        f'<tr><td style="{title};text-align:right;overflow-wrap:anywhere">'
        f"{escape(str(names[0]))}{swatch(colors[0])}</td>"
        f'<td style="{title};text-align:left;overflow-wrap:anywhere">'
        f"{swatch(colors[1])}{escape(str(names[1]))}</td></tr>{rows}</table>{foot if caption else ''}"
    )
    return panel(body, "explanation", width=2 * CHART_HALF)


def legend(names: Names | None, colors: Colors) -> str:
    """A one-line key of the two sides: '■ NOT label  ■ label'."""
    if not names:
        return ""
    return (
        '<div class="lime-rs-legend" style="font-size:12px;margin:-4px 0 8px 0">'
        f"{swatch(colors[0], margin='0 5px 0 0')}{escape(str(names[0]))}"
        f"{swatch(colors[1], margin='0 5px 0 14px')}{escape(str(names[1]))}</div>"
    )


def table_panel(
    rows: Iterable[tuple[Any, Any, Any]], colors: Colors | None = None, names: Names | None = None
) -> str:
    """The instance as a Feature / Value table, each row tinted by the sign of its
    feature's weight. ``rows``: (name, value, weight); ``names``: the (negative,
    positive) sides, for a key under the heading."""
    neg, pos = colors or default_colors(1)
    line = "border-bottom:1px solid rgba(128,128,128,.18)"
    body = []
    for name, value, weight in rows:
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            weight = 0.0
        color = pos if weight > 0 else neg if weight < 0 else None
        bg = f' style="background:{tint(color, 0.3)}"' if color else ""
        name = escape(str(name))
        body.append(
            f'<tr{bg} title="{name}: weight {weight:+.4f}">'
            f'<td style="border-left:4px solid {color or "transparent"};padding:4px 14px 4px 8px;'
            f'{WRAP};max-width:300px;font-size:13px;{line}">{name}</td>'
            f'<td style="padding:4px 8px 4px 14px;text-align:right;font-size:13px;{NUMS};'
            f'overflow-wrap:anywhere;max-width:220px;{line}">{escape(str(value))}</td></tr>'
        )
    th = f"padding:0 8px 5px 12px;font-size:12px;font-weight:600;{MUTED};border-bottom:1px solid rgba(128,128,128,.5)"
    html = (
        heading("Feature values")
        + legend(names, (neg, pos))
        + f'<div style="max-height:420px;overflow:auto">{TABLE}'
        f'<thead><tr><th style="{th};text-align:left">Feature</th>'
        f'<th style="{th};text-align:right">Value</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    return panel(html, "table")


def text_panel(
    doc: str,
    occurrences: Iterable[tuple[int, int, str, float]],
    colors: Colors | None = None,
    opacity: bool = True,
    names: Names | None = None,
) -> str:
    """The document with each explained word highlighted. ``occurrences``:
    (start, end, word, weight), positions in ``doc``; alpha is ``|weight| / max
    |weight|`` as lime's (solid when ``opacity`` is False)."""
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
        pieces.append(
            f'{escape(doc[cursor:start])}<span style="background:rgba({r},{g},{b},{alpha:.3f});'
            f'border-radius:2px;padding:1px 0" title="{escape(str(word))}: {weight:+.4f}">'
            f"{escape(doc[start:end])}</span>"
        )
        cursor = end
    body = (
        heading("Text with highlighted words")
        + legend(names, (neg, pos))
        + '<div class="lime-rs-doc" style="white-space:pre-wrap;overflow-wrap:anywhere;'
        'line-height:1.75;font-size:13.5px;max-height:420px;overflow:auto;padding-right:4px">'
        + "".join(pieces)
        + escape(doc[cursor:])
        + "</div>"
    )
    return panel(body, "text", extra_style="min-width:260px;max-width:640px")


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
    raw = np.zeros((h, 1 + w * c), dtype=np.uint8)  # column 0: filter type none
    raw[:, 1:] = np.ascontiguousarray(arr).reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, {1: 0, 3: 2, 4: 6}[c], 0, 0, 0)
    idat = zlib.compress(raw.tobytes(), 6)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def png_data_uri(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def to_uint8_rgb(image: np.ndarray) -> np.ndarray:
    """An image as lime's explainers take it (floats in [0, 1] or [0, 255],
    integers, grayscale) -> (h, w, 3) uint8."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3:
        raise ValueError(f"image: expected a 2-D or 3-D array, got shape {img.shape}")
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    img = img[:, :, :3]
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    f = np.where(np.isfinite(img), img.astype(np.float64), 0.0)
    if img.dtype.kind == "b" or (img.dtype.kind == "f" and f.size and 0 <= f.min() <= f.max() <= 1):
        f = f * 255.0
    elif img.dtype.kind in "iu" and f.size and f.max() > 255:
        f = f * (255.0 / f.max())
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def select_superpixels(
    exp: Iterable[tuple[Any, Any]],
    num_features: int = 5,
    positive_only: bool = False,
    negative_only: bool = False,
    min_weight: float = 0.0,
) -> list[tuple[Any, float]]:
    """The superpixels lime's get_image_and_mask would mark, as [(segment, weight)]:
    the first ``num_features`` of ``exp`` (sorted by |weight|) of the requested
    sign with |weight| >= min_weight (> with a sign)."""
    if positive_only and negative_only:
        raise ValueError("positive_only and negative_only cannot be true at the same time.")
    chosen = []
    for f, w in exp:
        w = float(w)
        if positive_only:
            keep = w > 0 and w > min_weight
        elif negative_only:
            keep = w < 0 and abs(w) > min_weight
        else:
            keep = not abs(w) < min_weight
        if keep:
            chosen.append((f, w))
            if len(chosen) >= num_features:
                break
    return chosen


def _working_scale(h: int, w: int, target: int) -> int:
    """Integer factor for the pixels drawn on: block-mean down (k < -1) when the
    image is much larger than shown, nearest up (k > 1) when much smaller (so
    outlines stay thin); the browser scales the rest of the way."""
    longest = max(h, w)
    if longest > 2 * target:
        return -int(longest // target)
    if longest < target / 2:
        return int(-(-target // longest))
    return 1


def _rescale(img: np.ndarray, seg: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Image (block mean) and segments (nearest) at the working resolution."""
    if k < -1:
        k = -k
        h, w = (seg.shape[0] // k) * k, (seg.shape[1] // k) * k
        img = img[:h, :w].astype(np.float32).reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))
        return img, seg[k // 2 : h : k, k // 2 : w : k]
    if k > 1:
        img = np.repeat(np.repeat(img, k, axis=0), k, axis=1)
        seg = np.repeat(np.repeat(seg, k, axis=0), k, axis=1)
    return img.astype(np.float32), seg


def _boundary(seg: np.ndarray) -> np.ndarray:
    """Pixels whose 4-neighbourhood holds another segment (or the border)."""
    edge = np.ones(seg.shape, dtype=bool)
    edge[1:-1, 1:-1] = False
    dv, dh = seg[1:, :] != seg[:-1, :], seg[:, 1:] != seg[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    return edge


def _grow(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def image_overlay(
    image: np.ndarray,
    segments: np.ndarray,
    chosen: Sequence[tuple[Any, float]],
    target: int = 320,
) -> tuple[np.ndarray, np.ndarray, list[tuple[Any, ...]]]:
    """The image with the ``chosen`` superpixels outlined (positive green, negative
    red, as lime's get_image_and_mask) and the rest faded; drawn for
    showing with its longest side ``target`` pixels (outlines about 2 of those wide).

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
    out = base.copy()
    if chosen:
        rest = ~np.isin(seg, [f for f, _ in chosen])
        out[rest] = out[rest] * 0.4 + 225 * 0.6
    edge = _boundary(seg)
    width = max(1, round(2.0 * max(seg.shape) / target))
    for positive, color in ((False, IMAGE_NEGATIVE), (True, IMAGE_POSITIVE)):
        inside = np.isin(seg, [f for f, w in chosen if (w > 0) == positive])
        line = edge & inside
        for _ in range(width - 1):
            line = _grow(line) & inside
        out[line] = rgb(color)
    centres = []
    h, w = seg.shape
    for rank, (f, wt) in enumerate(chosen, start=1):
        ys, xs = np.nonzero(seg == f)
        if ys.size:  # the member pixel nearest the centroid (which may lie outside)
            j = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
            centres.append((rank, f, wt, ((ys[j] + 0.5) / h, (xs[j] + 0.5) / w)))
    as_uint8 = [np.clip(np.rint(a), 0, 255).astype(np.uint8) for a in (base, out)]
    return as_uint8[0], as_uint8[1], centres


def _img_tag(arr: np.ndarray, alt: str, width: int, height: int) -> str:
    return (
        f'<img alt="{escape(alt)}" src="{png_data_uri(arr)}" width="{width}" height="{height}" '
        f'style="display:block;width:{width}px;height:{height}px;max-width:none;'
        f'border-radius:3px">'
    )


def image_panels(
    image: np.ndarray,
    segments: np.ndarray,
    chosen: Sequence[tuple[Any, float]],
    label_name: str,
    caption: str | None = None,
    show_original: bool = True,
    size: int = 300,
) -> str:
    """An image explanation: the image, the image with the ``chosen`` superpixels
    (select_superpixels) outlined and numbered, and their weights chart; images
    shown with their longest side ``size`` pixels."""
    original, overlay, centres = image_overlay(image, segments, chosen, target=size)
    scale = size / max(overlay.shape[:2])
    w, h = (max(1, round(n * scale)) for n in overlay.shape[1::-1])
    name = str(label_name)
    marked = [
        heading(f"Superpixels explaining {name}"),
        f'<div style="position:relative;width:{w}px;height:{h}px">',
        _img_tag(overlay, f"the image with the superpixels explaining {name} outlined", w, h),
    ]
    for rank, f, wt, (cy, cx) in centres:
        marked.append(
            f'<div title="superpixel {escape(str(f))}: {wt:+.4f}" style="position:absolute;'
            f"left:{cx * 100:.2f}%;top:{cy * 100:.2f}%;margin:-9px 0 0 -9px;width:18px;"
            f"height:18px;line-height:18px;border-radius:9px;"
            f"background:{IMAGE_POSITIVE if wt > 0 else IMAGE_NEGATIVE};color:#fff;"
            f'font-size:11px;font-weight:700;text-align:center;box-shadow:0 0 0 1.5px #fff">'
            f"{rank}</div>"
        )
    marked.append(
        f'</div><div style="font-size:12px;margin-top:8px">'
        f"{swatch(IMAGE_POSITIVE, margin='0 5px 0 0')}for {escape(name)}"
        f"{swatch(IMAGE_NEGATIVE, margin='0 5px 0 14px')}against</div>"
    )
    parts = []
    if show_original:
        parts.append(panel(heading("Image") + _img_tag(original, "the image", w, h), "image", w))
    parts.append(panel("".join(marked), "image-explanation", width=w))
    rows = [(f"#{rank}  superpixel {f}", wt) for rank, f, wt, _ in centres]
    sides = (f"NOT {name}", name), (IMAGE_NEGATIVE, IMAGE_POSITIVE)
    parts.append(weights_panel(rows, *sides, caption))
    return "".join(parts)


def _scalar(x: Any) -> float:
    return float(np.ravel(np.asarray(x, dtype=float))[0])


def _caption(exp: Any, keys: Sequence[Any]) -> str | None:
    """Local model summary under a chart (intercept, local prediction, R²);
    ``keys``: where to look, in order (regression keeps score under 0)."""
    parts = []
    try:
        for name, store, fmt in (
            ("intercept", exp.intercept, ".3g"),
            ("local prediction", exp.local_pred, ".3g"),
            ("R²", exp.score, ".2f"),
        ):
            if isinstance(store, dict):
                value = next((store[k] for k in keys if store.get(k) is not None), None)
                if value is not None:
                    parts.append(f"{name} {_scalar(value):{fmt}}")
    except (TypeError, ValueError, IndexError):
        return None
    return ("local model: " + " · ".join(parts)) if parts else None


def sampling_text(sampling: Any) -> str | None:
    """One short line on what ``num_samples="auto"`` did (``exp.sampling``):
    "certified at 95% after 1,000 model rows (3 rounds)" or "not certified at 95%:
    5,000 model rows (max_samples reached)"; None for a fixed ``num_samples``."""
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


def _class_name(exp: Any, label: Any) -> str:
    try:
        return str(exp.class_names[label])
    except (TypeError, IndexError, KeyError):
        return str(label)


def _sides(exp: Explanation, label: Any, n_classes: int) -> tuple[Names, Colors]:
    """((negative name, positive name), (negative colour, positive colour)) of a
    label's chart: the other class in a binary problem, else "NOT label"."""
    name = _class_name(exp, label)
    binary = n_classes == 2 and int(label) in (0, 1)
    neg_name = _class_name(exp, 1 - int(label)) if binary else f"NOT {name}"
    return (neg_name, name), label_colors(label, n_classes)


def _mapper_html(
    exp: Explanation, key: Any, label: Any, sides: tuple[Names, Colors], kwargs: dict[str, Any]
) -> str:
    """The mapper's view of the instance, in the chart's colours when the mapper
    draws its own (DomainMapper.instance_html); a duck-typed mapper, as lime
    accepts, gives its visualize_instance_html."""
    from lime_rs.explanation import DomainMapper

    mapper, exp_ids, (names, colors) = exp.domain_mapper, exp.local_exp[key], sides
    if isinstance(mapper, DomainMapper):
        return mapper.instance_html(exp_ids, label, colors, names, **kwargs) or ""
    return mapper.visualize_instance_html(exp_ids, label, "raw_div", "exp", **kwargs) or ""


def explanation_fragment(
    exp: Explanation,
    labels: Iterable[Any] | None = None,
    predict_proba: bool = True,
    show_predicted_value: bool = True,
    dark_mode: bool = False,
    *,
    as_page: bool = False,
    **kwargs: Any,
) -> str:
    """The views of an :class:`~lime_rs.explanation.Explanation` as one ``<div>``
    (what a notebook shows), or with ``as_page`` a whole page around it; other
    keyword arguments go to the domain mapper's view."""
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
        if exp.class_names is not None:
            n_classes = len(exp.class_names)
        elif exp.predict_proba is not None:
            n_classes = len(exp.predict_proba)
        else:
            n_classes = max((int(k) for k in exp.local_exp), default=1) + 1
        if predict_proba and exp.predict_proba is not None:
            parts.append(probabilities_panel(exp.class_names, list(exp.predict_proba), n_classes))
        for label in labels:
            names, colors = _sides(exp, label, n_classes)
            parts.append(weights_panel(exp.as_list(label), names, colors, _caption(exp, [label])))
        if labels:  # the instance once, in the first label's colours (as lime)
            sides = _sides(exp, labels[0], n_classes)
            parts.append(_mapper_html(exp, exp._label_key(labels[0]), labels[0], sides, kwargs))
    else:
        key = exp.dummy_label
        if show_predicted_value and exp.predicted_value is not None:
            value = _scalar(exp.predicted_value)
            parts.append(predicted_value_panel(value, exp.min_value, exp.max_value))
        sides = (("negative", "positive"), label_colors(1, 2))
        parts.append(weights_panel(exp.as_list(), *sides, _caption(exp, [key, 0])))
        parts.append(_mapper_html(exp, key, key, sides, kwargs))
    parts.append(sampling_panel(exp))
    fragment = root(parts, dark_mode)
    return page(fragment, dark_mode=dark_mode) if as_page else fragment


def root(parts: Iterable[str], dark_mode: bool = False) -> str:
    """The views side by side in one ``<div>``; text takes the surrounding colour
    (light and dark notebook themes alike) unless ``dark_mode`` asks for white."""
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


#: The whole page (a document around explanation_fragment's views) for an Explanation.
explanation_page = partial(explanation_fragment, as_page=True)
