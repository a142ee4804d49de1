"""The positional explorer's plain functions and its widget (no browser needed)."""

import math

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course import positional_encoding  # noqa: E402
from m2p_course.widgets.positional_explorer import (  # noqa: E402
    VIEWS,
    describe_dims,
    plot_positional,
    positional_explorer_widget,
    similarity_matrix,
    wavelengths,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_wavelengths_span_two_pi_to_almost_ten_thousand_two_pi():
    waves = wavelengths(1024)
    assert waves.shape == (512,) and waves.dtype == torch.float64
    assert math.isclose(waves[0].item(), 2 * math.pi)
    assert math.isclose(waves[-1].item(), 2 * math.pi * 10000 ** (1022 / 1024))
    assert bool((waves[1:] > waves[:-1]).all())                   # slower and slower
    assert wavelengths(5).shape == (3,)                          # odd d_model: the last dim is unpaired


def test_wavelengths_are_the_periods_of_the_table():
    # dims 2i and 2i+1 of the package's table are sin and cos of 2*pi*t / wavelength_i
    pe = positional_encoding(300, 16).double()
    t = torch.arange(300, dtype=torch.float64)
    for i, wave in enumerate(wavelengths(16)):
        assert torch.allclose(pe[:, 2 * i], torch.sin(2 * math.pi * t / wave), atol=1e-5)
        assert torch.allclose(pe[:, 2 * i + 1], torch.cos(2 * math.pi * t / wave), atol=1e-5)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.0, TypeError), (True, TypeError)])
def test_wavelengths_bad_d_model(bad, error):
    with pytest.raises(error, match="d_model"):
        wavelengths(bad)
    with pytest.raises(ValueError, match="base"):
        wavelengths(8, base=1.0)


def test_similarity_is_cosine_and_depends_only_on_the_offset():
    sim = similarity_matrix(60, 64)
    assert sim.shape == (60, 60)
    assert torch.allclose(sim.diagonal(), torch.ones(60, dtype=torch.float64))
    assert torch.allclose(sim, sim.T)
    for k in (1, 5, 30):
        diagonal = sim.diagonal(offset=k)
        assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-5)
    assert bool((sim.diagonal(offset=1) < 1).all())
    pe = positional_encoding(60, 64).double()
    assert math.isclose(sim[3, 10].item(), (pe[3] @ pe[10] / (pe[3].norm() * pe[10].norm())).item(), rel_tol=1e-9)
    # a window of dims: only those dims count; the slow half is far less sharp than the fast half
    fast, slow = similarity_matrix(60, 64, 0, 32), similarity_matrix(60, 64, 32, 32)
    part = pe[:, 32:]
    assert math.isclose(slow[3, 10].item(), (part[3] @ part[10] / (part[3].norm() * part[10].norm())).item(),
                        rel_tol=1e-9)
    assert fast.diagonal(offset=5).mean() < 0.5 < slow.diagonal(offset=5).mean()
    with pytest.raises(ValueError, match="do not fit"):
        similarity_matrix(10, 64, 60, 8)


def test_describe_dims():
    text = describe_dims(1024, 0, 64)
    assert text.splitlines()[0] == "d_model=1024: dims 0..63 (sin on even dims, cos on odd dims)"
    assert "6.3 .. 11.0 frames" in text and "0.21 .. 0.4 s at 30 fps" in text
    assert "6.28 .. 61,712 frames" in describe_dims(1024)
    with pytest.raises(ValueError, match=r"dims 1000..1099 do not fit in d_model=1024"):
        describe_dims(1024, 1000, 100)
    with pytest.raises(ValueError, match=r"first_dim must be an int in \[0, 15\]"):
        describe_dims(16, 16, 1)
    with pytest.raises(ValueError, match="fps"):
        describe_dims(16, 0, 4, fps=0)


@pytest.mark.parametrize("view", VIEWS)
def test_plot_positional_views(view):
    fig = plot_positional(50, 32, 4, 12, view)
    ax = fig.axes[0]
    if view == "table":                                           # sin dims 4, 6, ..., 14 | cos dims 5, ..., 15
        sines, cosines = (axis.get_images()[0].get_array() for axis in fig.axes[:2])
        assert sines.shape == cosines.shape == (50, 6)
        assert torch.allclose(torch.as_tensor(sines.data), positional_encoding(50, 32)[:, 4:16:2])
        assert torch.allclose(torch.as_tensor(cosines.data), positional_encoding(50, 32)[:, 5:16:2])
    elif view == "curves":
        lines = ax.get_lines()
        assert len(lines) == 6                                    # 12 dims asked, at most 6 curves
        dims = [int(line.get_label().split()[1]) for line in lines]
        assert dims[0] == 4 and dims[-1] == 15
        assert torch.allclose(torch.as_tensor(lines[0].get_ydata()), positional_encoding(50, 32)[:, 4])
    else:
        assert ax.get_images()[0].get_array().shape == (50, 50)
        assert len(fig.axes[1].get_lines()[0].get_ydata()) == 50


def test_plot_positional_default_shows_every_dim():
    fig = plot_positional(20, 10)
    assert [axis.get_images()[0].get_array().shape for axis in fig.axes[:2]] == [(20, 5), (20, 5)]
    single = plot_positional(20, 10, 3, 1)                   # one cos dim: one panel (and its colorbar)
    assert len(single.axes) == 2 and "cos dims (odd) 3..3" in single.axes[0].get_title()


@pytest.mark.parametrize("args, error, fragment", [
    ((0, 16), ValueError, "length"),
    ((10, 16, 0, 4, "heatmap"), ValueError, "view must be one of"),
    ((10, 16, -1), ValueError, "first_dim"),
    ((10, 16, 8, 9), ValueError, "do not fit"),
    ((10, 16, 0, 0), ValueError, "num_dims"),
    ((10, 16.0), TypeError, "d_model"),
])
def test_plot_positional_bad_input(args, error, fragment):
    with pytest.raises(error) as info:
        plot_positional(*args)
    assert fragment in str(info.value)


def test_widget_builds_without_a_browser_and_clamps_the_window():
    box = positional_explorer_widget(d_model=64, length=40)
    assert isinstance(box, widgets.VBox)
    controls = [w for row in box.children[1:-1] for w in row.children]
    assert [type(w) for w in controls] == [widgets.IntSlider] * 4 + [widgets.ToggleButtons]
    assert isinstance(box.children[-1], widgets.Output)
    d_model, length, first_dim, num_dims, view = controls
    first_dim.value = 60
    d_model.value = 16                                   # the first-dim slider follows d_model
    assert first_dim.max == 15 and first_dim.value <= 15
    for name in VIEWS:
        view.value = name                                # every view redraws without raising
    with pytest.raises(ValueError, match="d_model"):
        positional_explorer_widget(d_model=0)


def test_public_names_come_from_the_widgets_package():
    import m2p_course.widgets as package
    from m2p_course.widgets import positional_explorer
    for name in positional_explorer.__all__:
        assert getattr(package, name) is getattr(positional_explorer, name)
