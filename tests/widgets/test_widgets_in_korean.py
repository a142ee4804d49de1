"""Every widget, built after setup(lang="ko"): its title, its controls' labels and the text it prints are Korean.

The English labels are the other widget tests' business; here each builder runs once under "ko" on small
inputs, and every text it shows must come from the catalogue.
"""

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from m2p_course import M2PEncoder, MusicProjection, attention_maps, i18n
from m2p_course.widgets import (
    arcface_explorer_widget,
    attention_map_widget,
    batch_explorer_widget,
    dancer_clips,
    encoder_cost_widget,
    feature_explorer_widget,
    heatmap_explorer_widget,
    keypoint_explorer_widget,
    memory_explorer_widget,
    performance_explorer_widget,
    positional_explorer_widget,
    projection_explorer_widget,
    scaling_widget,
    shape_explorer_widget,
    training_explorer_widget,
)
from m2p_course.widgets.training_explorer import SongDance

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# descriptions that are symbols or code, the same in every language
SYMBOLS = {"d_k", "T", "d_model", "H = W"}


def _song_dance():
    truth = np.random.default_rng(0).uniform(-0.5, 0.5, (40, 134, 2)).astype(np.float32)
    return SongDance("song x", truth + 0.3, truth, np.array([0, 10, 20, 30]), "bouncer")


def _attention_maps():
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=2, face_embed_dim=32).eval()
    return attention_maps(model, torch.randn(2, 20, 48))


def _projection():
    torch.manual_seed(0)
    return torch.randn(2, 30, 48), MusicProjection(input_dim=48, hidden_dim=32)


BUILDERS = {
    "shape": lambda: shape_explorer_widget(),
    "feature": lambda: feature_explorer_widget(np.random.default_rng(0).standard_normal((300, 48)).astype(np.float32),
                                               beat_times=np.arange(0, 5, 0.5)),
    "projection": lambda: projection_explorer_widget(*_projection()),
    "positional": lambda: positional_explorer_widget(d_model=64, length=40),
    "scaling": lambda: scaling_widget(),
    "attention maps": lambda: attention_map_widget(_attention_maps(), fps=30, beat_times=[0.5]),
    "encoder": lambda: encoder_cost_widget(),
    "keypoint": lambda: keypoint_explorer_widget(),
    "heatmap": lambda: heatmap_explorer_widget(),
    "arcface": lambda: arcface_explorer_widget(dancer_clips(3, frames=20, seed=0), dancer_clips(3, frames=20, seed=1),
                                               steps=20),
    "batch": lambda: batch_explorer_widget(),
    "training": lambda: training_explorer_widget([_song_dance()], frame=5),
    "memory": lambda: memory_explorer_widget(frames=600, batch=1),
    "performance": lambda: performance_explorer_widget({"float32": 2e11}, length=600),
}


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


@pytest.fixture
def korean():
    i18n.missing.clear()
    i18n.set_language("ko")
    yield
    i18n.set_language("en")
    plt.close("all")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_widget_speaks_korean(name, korean):
    box = BUILDERS[name]()
    parts = list(_walk(box))
    titles = [w.value for w in parts if isinstance(w, widgets.HTML) and w.value.startswith("<b>")]
    assert titles and all(HANGUL.search(t) for t in titles), titles
    labels = [w.description for w in parts if getattr(w, "description", "") and w.description not in SYMBOLS]
    assert labels and [label for label in labels if not HANGUL.search(label)] == []
    assert sorted(i18n.missing) == [], "texts shown in Korean that the catalogue lacks"


def test_the_printed_readouts_are_korean_too(korean):
    """The explorers whose output is prose (the others print tables whose headers stay English)."""
    from m2p_course.widgets.batch_explorer import batch_table
    from m2p_course.widgets.encoder_explorer import encoder_summary
    from m2p_course.widgets.keypoint_explorer import describe_keypoint
    from m2p_course.widgets.memory_explorer import plan_table
    from m2p_course.widgets.positional_explorer import describe_dims
    from m2p_course.widgets.shape_explorer import shape_table
    from m2p_course.widgets.training_explorer import frame_summary

    texts = [batch_table([60, 150]), encoder_summary(240), describe_keypoint("right_hand_index_4"),
             plan_table(300, 1, training=False), describe_dims(64, 0, 8), shape_table(2, 24),
             frame_summary(_song_dance(), 5)]
    for text in texts:
        assert HANGUL.search(text), text
    assert "메모리 부족" in plan_table(300, 1, training=False, budget=1e-3)      # the glossary's "out of memory"
    assert sorted(i18n.missing) == []
