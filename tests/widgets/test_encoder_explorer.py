import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from m2p_course.transformer import build_transformer_encoder  # noqa: E402
from m2p_course.widgets import encoder_cost_widget  # noqa: E402
from m2p_course.widgets.encoder_explorer import (  # noqa: E402
    crossover_length,
    encoder_flops,
    encoder_layer_parameters,
    encoder_summary,
    flops_table,
    plot_encoder_flops,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_guide_layer_parameters():
    parts = encoder_layer_parameters()
    assert sum(parts.values()) == 12_596_224
    with torch.device("meta"):
        layer = nn.TransformerEncoderLayer(1024, 8, 4096, activation="gelu", batch_first=True)
    assert sum(p.numel() for p in layer.parameters()) == 12_596_224


@pytest.mark.parametrize("d_model, nhead, ff", [(64, 4, 256), (48, 6, 100), (8, 1, 8)])
def test_parameters_by_module_match_torch(d_model, nhead, ff):
    layer = nn.TransformerEncoderLayer(d_model, nhead, ff, batch_first=True)
    parts = encoder_layer_parameters(d_model, nhead, ff)
    in_proj = layer.self_attn.in_proj_weight.numel() + layer.self_attn.in_proj_bias.numel()
    real = {"self_attn.in_proj (q, k, v)": in_proj,
            "self_attn.out_proj": sum(p.numel() for p in layer.self_attn.out_proj.parameters())}
    for name in ("linear1", "linear2", "norm1", "norm2"):
        real[name] = sum(p.numel() for p in getattr(layer, name).parameters())
    assert parts == real


@pytest.mark.parametrize("length, batch, layers, d_model, ff", [(24, 2, 2, 1024, 4096), (5400, 1, 1, 1024, 4096),
                                                               (7, 3, 2, 64, 128)])
def test_flops_equal_torch_flop_counter(length, batch, layers, d_model, ff):
    """PyTorch's own FLOP counter, on the meta device (no memory, no time), agrees to the FLOP."""
    with torch.device("meta"):
        stack = build_transformer_encoder(d_model, 8, ff, 0.1, layers)
        x = torch.empty(batch, length, d_model)
        with FlopCounterMode(display=False) as counter:
            stack(x)
    assert sum(encoder_flops(length, d_model, 8, ff, layers, batch).values()) == counter.get_total_flops()


def test_flops_scaling():
    one = encoder_flops(100, num_layers=1)
    assert encoder_flops(100, num_layers=6) == {k: 6 * v for k, v in one.items()}
    double = encoder_flops(200, num_layers=1)
    assert double["feed-forward"] == 2 * one["feed-forward"]
    assert double["scores q k^T"] == 4 * one["scores q k^T"]
    assert encoder_flops(100, nhead=1) == encoder_flops(100, nhead=16)  # heads split the work, not add to it


def test_crossover_length():
    assert crossover_length() == 6144
    t = crossover_length(64, 256)
    parts = encoder_flops(t, 64, 8, 256, 1)
    assert parts["scores q k^T"] + parts["weights x v"] == \
        parts["q, k, v projections"] + parts["output projection"] + parts["feed-forward"]


def test_flops_table_and_summary():
    table = flops_table([24, 6144])
    lines = table.splitlines()
    assert len(lines) == 4 and "attention share" in lines[0]
    assert lines[-1].strip().endswith("50.0%")
    summary = encoder_summary(24)
    assert "12,596,224 per layer, 75,577,344 in the stack" in summary
    assert "8 heads of 128" in summary


@pytest.mark.parametrize("call, error", [
    (lambda: encoder_layer_parameters(1024, 7), ValueError),
    (lambda: encoder_layer_parameters(1024.0), TypeError),
    (lambda: encoder_flops(0), ValueError),
    (lambda: encoder_flops(24, num_layers=-1), ValueError),
    (lambda: flops_table([]), ValueError),
    (lambda: crossover_length(0), ValueError),
    (lambda: plot_encoder_flops(max_length=0), ValueError),
    (lambda: encoder_cost_widget(fps=0), ValueError),
])
def test_bad_input(call, error):
    with pytest.raises(error):
        call()


def test_plot_encoder_flops_curves():
    fig = plot_encoder_flops(length=300, num_layers=6, max_length=10000)
    ax = fig.axes[0]
    linear, attention, total = ax.lines[:3]
    t = linear.get_xdata()
    assert t[0] == 1 and t[-1] == 10000
    parts = encoder_flops(int(t[-1]))
    assert attention.get_ydata()[-1] == parts["scores q k^T"] + parts["weights x v"]
    assert (total.get_ydata() == linear.get_ydata() + attention.get_ydata()).all()
    marker = ax.lines[-1]
    assert marker.get_xdata()[0] == 300 and marker.get_ydata()[0] == sum(encoder_flops(300).values())


def test_encoder_explorer_builds():
    w = encoder_cost_widget()
    assert isinstance(w, widgets.VBox)
    controls = {c.description: c for row in w.children if isinstance(row, widgets.HBox) for c in row.children}
    assert controls["T (frames)"].max == 5400
    assert 1024 in controls["E (width)"].options
    controls["T (frames)"].value = 5400   # the callback runs without a browser
    assert isinstance(w.children[-1], widgets.Output)
