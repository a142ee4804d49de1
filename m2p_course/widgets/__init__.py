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

The widget builders end in ``_widget`` (``shape_explorer_widget``, ...), so that no
function shares its module's name. Names load on first use:
``from m2p_course.widgets import shape_explorer_widget``.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "shape_explorer": ["explore_shapes", "parameters_by_stage", "memory_estimate", "format_bytes", "shape_table",
                       "pipeline_figure", "shape_explorer_widget"],
    "feature_explorer": ["FeatureWindow", "row_labels", "feature_window", "plot_feature_window",
                         "feature_explorer_widget"],
    "projection_explorer": ["STAGE_NAMES", "projection_stages", "stage_table", "plot_stage",
                            "projection_explorer_widget"],
    "positional_explorer": ["VIEWS", "wavelengths", "similarity_matrix", "describe_dims", "plot_positional",
                            "positional_explorer_widget"],
    "attention_explorer": ["softmax_saturation", "saturation_curve", "plot_softmax_saturation", "scaling_widget",
                           "mean_attention_distance", "attention_by_offset", "plot_attention_map",
                           "attention_map_widget", "plot_attention_memory"],
    "encoder_explorer": ["encoder_layer_parameters", "encoder_flops", "crossover_length", "flops_table",
                         "encoder_summary", "plot_encoder_flops", "encoder_cost_widget"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
