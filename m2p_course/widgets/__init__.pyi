# The names `m2p_course.widgets` exports, one block per explorer module (ruff keeps them sorted).
# `lazy_loader.attach_stub` reads this file at import time and loads each module on first use;
# editors and type checkers read it as the package's interface. `name as name` marks a re-export.
# Only `from .module import (...)` lines belong here (no `from __future__`).

from .arcface_explorer import (
    EmbeddingRun as EmbeddingRun,
    angle_stats as angle_stats,
    angle_table as angle_table,
    arcface_explorer_widget as arcface_explorer_widget,
    dancer_clips as dancer_clips,
    plot_embeddings as plot_embeddings,
    plot_target_logit as plot_target_logit,
    target_logit as target_logit,
    train_embeddings as train_embeddings,
)
from .attention_explorer import (
    attention_by_offset as attention_by_offset,
    attention_map_widget as attention_map_widget,
    mean_attention_distance as mean_attention_distance,
    plot_attention_map as plot_attention_map,
    plot_attention_memory as plot_attention_memory,
    plot_softmax_saturation as plot_softmax_saturation,
    saturation_curve as saturation_curve,
    scaling_widget as scaling_widget,
    softmax_saturation as softmax_saturation,
)
from .batch_explorer import (
    BatchMemory as BatchMemory,
    MemoryRow as MemoryRow,
    batch_explorer_widget as batch_explorer_widget,
    batch_memory as batch_memory,
    batch_table as batch_table,
    clip_lengths as clip_lengths,
    lengths_to_mask as lengths_to_mask,
    plot_batch as plot_batch,
)
from .encoder_explorer import (
    crossover_length as crossover_length,
    encoder_cost_widget as encoder_cost_widget,
    encoder_flops as encoder_flops,
    encoder_layer_parameters as encoder_layer_parameters,
    encoder_summary as encoder_summary,
    flops_table as flops_table,
    plot_encoder_flops as plot_encoder_flops,
)
from .feature_explorer import (
    FeatureWindow as FeatureWindow,
    feature_explorer_widget as feature_explorer_widget,
    feature_window as feature_window,
    plot_feature_window as plot_feature_window,
    row_labels as row_labels,
)
from .heatmap_explorer import (
    MAP_KINDS as MAP_KINDS,
    HeatmapReadout as HeatmapReadout,
    heatmap_explorer_widget as heatmap_explorer_widget,
    heatmap_price as heatmap_price,
    heatmap_price_table as heatmap_price_table,
    heatmap_readout as heatmap_readout,
    plot_heatmap as plot_heatmap,
    temperature_sweep as temperature_sweep,
    temperature_table as temperature_table,
    toy_logits as toy_logits,
)
from .keypoint_explorer import (
    GROUP_COLORS as GROUP_COLORS,
    describe_keypoint as describe_keypoint,
    keypoint_explorer_widget as keypoint_explorer_widget,
    keypoint_info as keypoint_info,
    layout_table as layout_table,
    plot_keypoint_scores as plot_keypoint_scores,
    plot_keypoints as plot_keypoints,
)
from .memory_explorer import (
    MEMORY_BUDGETS as MEMORY_BUDGETS,
    memory_explorer_widget as memory_explorer_widget,
    memory_plan as memory_plan,
    plan_table as plan_table,
    plot_memory as plot_memory,
    predicted_memory as predicted_memory,
)
from .performance_explorer import (
    TRAINING_FACTOR as TRAINING_FACTOR,
    cost_table as cost_table,
    performance_explorer_widget as performance_explorer_widget,
    plot_flops_per_frame as plot_flops_per_frame,
    stage_costs as stage_costs,
)
from .positional_explorer import (
    VIEWS as VIEWS,
    describe_dims as describe_dims,
    plot_positional as plot_positional,
    positional_explorer_widget as positional_explorer_widget,
    similarity_matrix as similarity_matrix,
    wavelengths as wavelengths,
)
from .projection_explorer import (
    STAGE_NAMES as STAGE_NAMES,
    plot_stage as plot_stage,
    projection_explorer_widget as projection_explorer_widget,
    projection_stages as projection_stages,
    stage_table as stage_table,
)
from .shape_explorer import (
    explore_shapes as explore_shapes,
    format_bytes as format_bytes,
    memory_estimate as memory_estimate,
    parameters_by_stage as parameters_by_stage,
    pipeline_figure as pipeline_figure,
    shape_explorer_widget as shape_explorer_widget,
    shape_table as shape_table,
)
from .training_explorer import (
    SongDance as SongDance,
    comparison_gif as comparison_gif,
    comparison_html as comparison_html,
    dance_songs as dance_songs,
    face_embeddings as face_embeddings,
    frame_errors as frame_errors,
    frame_summary as frame_summary,
    history_table as history_table,
    pca_2d as pca_2d,
    plot_dance_frame as plot_dance_frame,
    plot_face_embeddings as plot_face_embeddings,
    plot_history as plot_history,
    score_table as score_table,
    training_explorer_widget as training_explorer_widget,
)
