"""Self-contained HTML views of explanations: HTML + CSS + inline SVG, no
JavaScript, no outside resources. Every user string is escaped."""

from html import escape

POSITIVE = "#1f77b4"
NEGATIVE = "#ff7f0e"

_CSS = """
.lime-rs{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;color:#222;
 display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.lime-rs h3{font-size:14px;margin:0 0 6px 0}
.lime-rs .panel{min-width:220px;max-width:520px}
.lime-rs table{border-collapse:collapse}
.lime-rs td,.lime-rs th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
.lime-rs .bar-row{display:flex;align-items:center;margin:2px 0}
.lime-rs .bar-label{width:180px;overflow-wrap:anywhere;padding-right:6px;text-align:right}
.lime-rs .bar-track{position:relative;width:200px;height:16px;background:#f4f4f4}
.lime-rs .bar{position:absolute;top:0;height:16px}
.lime-rs .bar-value{padding-left:6px;font-variant-numeric:tabular-nums}
.lime-rs .doc{line-height:1.8;white-space:pre-wrap;max-width:640px}
"""


def _bar_row(label, value, fraction, color, centred):
    """One labelled bar; ``fraction`` in [0, 1] of the track (half of it when centred)."""
    fraction = max(0.0, min(float(fraction), 1.0))
    if centred:
        left = 50.0 if value >= 0 else 50.0 - 50.0 * fraction
        style = f"left:{left:.2f}%;width:{50.0 * fraction:.2f}%;background:{color}"
    else:
        style = f"left:0;width:{100.0 * fraction:.2f}%;background:{color}"
    text = escape(str(label))
    return (
        f'<div class="bar-row"><div class="bar-label" title="{text}">{text}</div>'
        f'<div class="bar-track"><div class="bar" style="{style}"></div></div>'
        f'<div class="bar-value">{value:.2f}</div></div>'
    )


def probabilities_panel(class_names, proba):
    top = max(range(len(proba)), key=lambda k: proba[k]) if len(proba) else -1
    rows = [
        _bar_row(name, float(p), float(p), POSITIVE if i == top else "#999", False)
        for i, (name, p) in enumerate(zip(class_names, proba))
    ]
    return '<div class="panel"><h3>Prediction probabilities</h3>' + "".join(rows) + "</div>"


def predicted_value_panel(value, vmin, vmax):
    span = vmax - vmin
    frac = 0.0 if span == 0 else (value - vmin) / span
    row = _bar_row(f"{vmin:.2f} .. {vmax:.2f}", value, frac, POSITIVE, False)
    return f'<div class="panel"><h3>Predicted value</h3>{row}</div>'


def weights_panel(title, exp, negative_name, positive_name):
    scale = max((abs(w) for _, w in exp), default=0.0)
    rows = [
        _bar_row(name, w, abs(w) / scale if scale else 0.0, POSITIVE if w > 0 else NEGATIVE, True)
        for name, w in exp
    ]
    legend = (
        f'<div style="display:flex;justify-content:space-between;width:380px;padding-left:186px">'
        f'<span style="color:{NEGATIVE}">{escape(str(negative_name))}</span>'
        f'<span style="color:{POSITIVE}">{escape(str(positive_name))}</span></div>'
    )
    return f'<div class="panel"><h3>{escape(title)}</h3>{legend}{"".join(rows)}</div>'


def explanation_page(exp, labels=None, predict_proba=True, show_predicted_value=True, **kwargs):
    """The whole page for an :class:`~lime_rs.explanation.Explanation`."""
    parts = []
    if exp.mode == "classification":
        if labels is None:
            labels = exp.available_labels()
        if predict_proba and exp.predict_proba is not None:
            parts.append(
                probabilities_panel([str(c) for c in exp.class_names], list(exp.predict_proba))
            )
        for label in labels:
            name = str(exp.class_names[label])
            parts.append(
                weights_panel(f"Explanation for {name}", exp.as_list(label), f"NOT {name}", name)
            )
            parts.append(
                exp.domain_mapper.visualize_instance_html(
                    exp.local_exp[label], label, "", "", **kwargs
                )
            )
    else:
        if show_predicted_value:
            parts.append(
                predicted_value_panel(
                    float(exp.predicted_value), float(exp.min_value), float(exp.max_value)
                )
            )
        parts.append(weights_panel("Explanation", exp.as_list(), "negative", "positive"))
        parts.append(
            exp.domain_mapper.visualize_instance_html(
                exp.local_exp[exp.dummy_label], exp.dummy_label, "", "", **kwargs
            )
        )
    body = "".join(p for p in parts if p)
    return (
        '<html><head><meta charset="utf-8"><style>' + _CSS + "</style></head>"
        f'<body><div class="lime-rs">{body}</div></body></html>'
    )
