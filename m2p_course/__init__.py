"""m2p_course: the helper package of the Music-to-Pose (M2P) encoder course.

Every public name is importable from here (``from m2p_course import M2PEncoder``); the
modules load on first use, so ``import m2p_course`` stays fast and does not pull in
librosa or matplotlib until they are needed.

Stages and where they live::

    features, audio, synth  music in: audio files, the 4800-dim recipe, the course's own songs
    projection              MusicProjection            [B, T, 4800] -> [B, T, 1024]
    positional              positional encoding        [T, 1024]
    transformer             nn.TransformerEncoder      [B, T, 1024]
    heads                   PoseHead, FaceHead         [B, T, 134], [B, 512]
    soft_argmax             heatmaps -> coordinates    [..., H, W] -> [..., 2]
    arcface                 ArcFaceLoss                the face identity loss
    model                   M2PEncoder                 all of the above
    shapes                  trace_shapes               every stage's shape, on the meta device
    keypoints, viz          the 134-point skeleton, drawn and animated
    choreography, data      synthetic dances and the SyntheticDanceDataset
    metrics                 beat_alignment_score
    widgets, exercises      what the notebooks use
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "checks": ["check_music_features", "check_padding_mask", "check_temperature"],
    "projection": ["MusicProjection"],
    "positional": ["positional_encoding", "SinusoidalPositionalEncoding"],
    "transformer": ["build_transformer_encoder"],
    "heads": ["PoseHead", "FaceHead", "masked_mean"],
    "soft_argmax": ["soft_argmax2d", "spatial_softmax2d", "coordinate_grid"],
    "arcface": ["ArcFaceLoss"],
    "model": ["M2PEncoder"],
    "shapes": ["trace_shapes", "ShapeTrace", "ShapeRow", "count_parameters"],
    "env": ["setup", "seed_everything", "get_device", "versions"],
    "errors": ["expect_error"],
    "audio": ["load_audio", "validate_audio"],
    "features": ["FeatureGroup", "FeatureRecipe", "DEFAULT_RECIPE", "EDGE_BASELINE_RECIPE", "extract_music_features",
                 "frame_descriptors", "stack_context", "extract_features_batch", "load_precomputed_features",
                 "num_pose_frames", "track_beats"],
    "synth": ["synth_music", "SynthSong", "Chord", "STYLES", "default_song", "write_wav", "DEFAULT_SONG", "parse_key"],
    "choreography": ["DancerStyle", "DANCER_STYLES", "DANCER_NAMES", "MOVES", "dancer_style", "generate_dance",
                     "dance_for_song", "random_motion"],
    "data": ["SyntheticDanceDataset", "pad_collate", "default_cache_dir"],
    "metrics": ["beat_alignment_score", "kinematic_beats", "joint_speed"],
    "attention": ["scaled_dot_product_attention", "multi_head_attention", "attention_maps",
                  "encoder_layer_by_hand", "attention_memory_bytes"],
    "keypoints": ["NUM_KEYPOINTS", "KEYPOINT_NAMES", "GROUPS", "FACE_PARTS", "BODY_PARTS", "FINGERS", "SKELETON",
                  "EDGE_GROUPS", "EDGE_GROUP_NAMES", "index", "hand_finger", "check_pose", "rest_pose"],
    "viz": ["draw_pose", "draw_pose_artists", "PoseArtists", "plot_pose_grid", "save_pose_figure",
            "make_pose_animation", "animation_html", "animate_poses", "save_features_figure"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
