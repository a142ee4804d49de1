"""Interactive widgets for the notebooks (standard ipywidgets only; 7.7 and 8.x).

Each widget wires a few controls to plain functions in the same module; the functions do
all the work, so the tests call them directly and the notebooks show their output
statically too. One module per notebook's explorer::

    shape_explorer       00  every stage's shape and parameter count, live (meta device)
    feature_explorer     01  one feature group over a time window
    projection_explorer  02  activations after each layer of the music projection
    positional_explorer  03  the sinusoidal table, its wavelengths and similarities
    attention_explorer   04  softmax saturation, attention maps by layer and head, T^2 memory
    encoder_explorer     05  parameters and FLOPs of the encoder stack as T grows
    keypoint_explorer    06  the 134 keypoints: groups, indices, where each one is
    heatmap_explorer     07  one joint's heatmap, its temperature, soft-argmax vs argmax
    arcface_explorer     08  dancers' embeddings on the sphere, plain softmax vs ArcFace(m, s)
    batch_explorer       09  songs of different lengths: padding, the padding mask, memory

The widget builders end in ``_widget`` (``shape_explorer_widget``, ...), so that no
function shares its module's name. Names load on first use
(``from m2p_course.widgets import shape_explorer_widget``); ``__init__.pyi`` lists them.
"""

import lazy_loader

# the exported names are listed in __init__.pyi (a new explorer module adds its block there)
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
