import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from m2p_course.features import DEFAULT_RECIPE, EDGE_BASELINE_RECIPE, FeatureGroup, stack_context
from m2p_course.widgets.feature_explorer import (
    FeatureWindow,
    feature_explorer_widget,
    feature_window,
    plot_feature_window,
    row_labels,
)

FPS = 30
T = 150  # 5 s


@pytest.fixture(scope="module")
def descriptors():
    """Seeded stand-in descriptors [T, 48]: every column different, so a wrong slice shows."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((T, DEFAULT_RECIPE.frame_dim)) + np.arange(DEFAULT_RECIPE.frame_dim)).astype(np.float32)


@pytest.fixture(scope="module")
def stacked(descriptors):
    return stack_context(descriptors, DEFAULT_RECIPE.context)


def test_window_slices_the_group_columns_and_frames(descriptors):
    window = feature_window(descriptors, "chroma", start=1.0, length=2.0)
    assert isinstance(window, FeatureWindow) and window.group == "chroma"
    assert window.values.shape == (12, 60) and window.values.dtype == np.float32
    np.testing.assert_array_equal(window.frames, np.arange(30, 90))
    np.testing.assert_allclose(window.times, np.arange(30, 90) / FPS)
    np.testing.assert_array_equal(window.values, descriptors[30:90, 20:32].T)
    assert window.row_labels[0] == "C" and len(window.row_labels) == 12
    assert window.normalisation == "z-score per clip" and "pitch" in window.description


def test_stacked_features_give_the_same_window(descriptors, stacked):
    assert stacked.shape == (T, 4800)
    for group in ("mfcc", "tonnetz", "beat"):
        a = feature_window(descriptors, group, 0.5, 3.0)
        b = feature_window(stacked, group, 0.5, 3.0)
        np.testing.assert_array_equal(a.values, b.values)


def test_window_is_cut_at_the_clip_end(descriptors):
    window = feature_window(descriptors, "beat", start=4.5, length=10.0)
    assert window.values.shape == (1, T - 135)
    assert window.frames[-1] == T - 1
    assert feature_window(descriptors, "beat", start=0.0, length=0.001).values.shape == (1, 1)


def test_other_recipe_and_fps():
    rng = np.random.default_rng(1)
    edge = rng.standard_normal((60, 35)).astype(np.float32)
    window = feature_window(edge, "onset_peak", 0.0, 0.5, recipe=EDGE_BASELINE_RECIPE, fps=60)
    assert window.values.shape == (1, 30)
    np.testing.assert_array_equal(window.values[0], edge[:30, 33])
    assert window.times[1] == pytest.approx(1 / 60)


def test_row_labels():
    assert row_labels(FeatureGroup("mfcc", 20))[-1] == "MFCC 19"
    assert len(row_labels(FeatureGroup("spectral_contrast", 7))) == 7
    assert row_labels(FeatureGroup("tonnetz", 6))[0] == "fifths x"
    assert row_labels(FeatureGroup("local_tempo", 1)) == ("log2(bpm / 120)",)
    for group in DEFAULT_RECIPE.groups + EDGE_BASELINE_RECIPE.groups:
        assert len(row_labels(group)) == group.size
    with pytest.raises(TypeError, match="FeatureGroup"):
        row_labels("mfcc")


@pytest.mark.parametrize("features, error, match", [
    (np.zeros((10, 47), np.float32), ValueError, r"\[T, 48\].*\[T, 4800\].*got shape \(10, 47\)"),
    (np.zeros((0, 48), np.float32), ValueError, "T >= 1"),
    (np.zeros((2, 10, 48), np.float32), ValueError, "got shape"),
    (np.zeros((10, 48), np.int64), TypeError, "float numpy array.*int64"),
    (torch.zeros(10, 48), TypeError, "tensor.numpy"),
    ([[0.0] * 48], TypeError, "float numpy array"),
])
def test_bad_features(features, error, match):
    with pytest.raises(error, match=match):
        feature_window(features, "mfcc", 0.0, 1.0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(group="tempo"), ValueError, "no group 'tempo'.*mfcc"),
    (dict(group=3), TypeError, "group name"),
    (dict(start=-1.0), ValueError, "start"),
    (dict(start=5.0), ValueError, "past the end"),
    (dict(start=float("nan")), ValueError, "finite"),
    (dict(start="1"), TypeError, "seconds"),
    (dict(length=0.0), ValueError, "length.*> 0"),
    (dict(fps=0), ValueError, "fps"),
    (dict(recipe="m2p-4800"), TypeError, "FeatureRecipe"),
])
def test_bad_arguments(descriptors, kwargs, error, match):
    args = dict(group="mfcc", start=0.0, length=1.0) | kwargs
    with pytest.raises(error, match=match):
        feature_window(descriptors, args.pop("group"), args.pop("start"), args.pop("length"), **args)


@pytest.mark.parametrize("group", [g.name for g in DEFAULT_RECIPE.groups])
def test_plot_every_group(descriptors, group):
    window = feature_window(descriptors, group, 1.0, 2.0)
    fig = plot_feature_window(window, beat_times=np.arange(0, 5, 0.5))
    ax = fig.axes[0]
    assert group in ax.get_title()
    assert ax.get_xlabel() == "time (s)"
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 4  # frames 30..89 cover 0.98..2.98 s: the beats at 1.0, 1.5, 2.0 and 2.5
    multi_row = window.values.shape[0] > 1
    assert bool(ax.get_images()) == multi_row
    assert len(fig.axes) == (2 if multi_row else 1)  # a colour bar for heatmaps only
    plt.close(fig)


def test_single_row_limits_show_a_steady_row_flat():
    steady = np.full((40, DEFAULT_RECIPE.frame_dim), 0.001, np.float32)  # local tempo ~ 120 BPM throughout
    fig = plot_feature_window(feature_window(steady, "local_tempo", 0.0, 1.0))
    low, high = fig.axes[0].get_ylim()
    assert low <= -1.0 and high >= 1.0
    fig_beat = plot_feature_window(feature_window(steady, "beat", 0.0, 1.0))
    assert fig_beat.axes[0].get_ylim() == pytest.approx((-0.1, 1.1))
    plt.close("all")


def test_plot_errors(descriptors):
    with pytest.raises(TypeError, match="FeatureWindow"):
        plot_feature_window(descriptors)
    window = feature_window(descriptors, "mfcc", 0.0, 1.0)
    with pytest.raises(ValueError, match="1-D"):
        plot_feature_window(window, beat_times=np.zeros((2, 2)))
    plt.close("all")


def test_names_reach_the_package_after_the_submodule_is_imported():
    from m2p_course.widgets import feature_explorer_widget as from_package, feature_window as window_fn
    assert from_package is feature_explorer_widget and window_fn is feature_window


def test_widget_builds(descriptors):
    box = feature_explorer_widget(descriptors, beat_times=np.arange(0, 5, 0.5))
    assert isinstance(box, widgets.VBox)
    controls = [c for row in box.children if isinstance(row, widgets.HBox) for c in row.children]
    kinds = [type(c).__name__ for c in controls]
    assert kinds == ["Dropdown", "FloatSlider", "FloatSlider", "Checkbox"]
    assert list(controls[0].options) == [g.name for g in DEFAULT_RECIPE.groups]
    assert controls[1].max <= T / FPS and controls[2].max == pytest.approx(5.0)
    assert isinstance(box.children[-1], widgets.Output)
    # each change re-runs the callback; outside a kernel an error in it propagates here
    for group in controls[0].options:
        controls[0].value = group
        plt.close("all")
    controls[1].value = 4.9   # a window cut short by the clip's end
    controls[3].value = False
    plt.close("all")


def test_widget_short_clip_and_bad_input():
    box = feature_explorer_widget(np.ones((3, 48), np.float32) * np.arange(48, dtype=np.float32))
    sliders = [c for row in box.children if isinstance(row, widgets.HBox) for c in row.children][1:]
    assert sliders[0].max == 0.0 and sliders[1].max == pytest.approx(0.1)
    with pytest.raises(ValueError, match="got shape"):
        feature_explorer_widget(np.zeros((10, 35), np.float32))
    plt.close("all")
