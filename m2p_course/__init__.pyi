# Every name `m2p_course` exports, by module (ruff keeps the blocks sorted).
# `lazy_loader.attach_stub` reads this file when the package is imported and loads each
# module on first use; editors and type checkers read it as the package's interface.
# `name as name` marks a re-export. Only `from .module import (...)` lines belong here.

from .arcface import (
    ArcFaceLoss as ArcFaceLoss,
)
from .attention import (
    attention_maps as attention_maps,
    attention_memory_bytes as attention_memory_bytes,
    encoder_layer_by_hand as encoder_layer_by_hand,
    multi_head_attention as multi_head_attention,
    scaled_dot_product_attention as scaled_dot_product_attention,
)
from .audio import (
    load_audio as load_audio,
    validate_audio as validate_audio,
)
from .checkpoint import (
    load_pretrained as load_pretrained,
    load_training_state as load_training_state,
    pretrained as pretrained,
    save_pretrained as save_pretrained,
    save_training_state as save_training_state,
)
from .checks import (
    check_music_features as check_music_features,
    check_padding_mask as check_padding_mask,
    check_temperature as check_temperature,
)
from .env import (
    get_device as get_device,
    seed_everything as seed_everything,
    setup as setup,
    versions as versions,
)
from .errors import (
    expect_error as expect_error,
)
from .features import (
    DEFAULT_RECIPE as DEFAULT_RECIPE,
    EDGE_BASELINE_RECIPE as EDGE_BASELINE_RECIPE,
    FeatureGroup as FeatureGroup,
    FeatureRecipe as FeatureRecipe,
    extract_features_batch as extract_features_batch,
    extract_music_features as extract_music_features,
    frame_descriptors as frame_descriptors,
    load_precomputed_features as load_precomputed_features,
    num_pose_frames as num_pose_frames,
    save_features_figure as save_features_figure,
    stack_context as stack_context,
    track_beats as track_beats,
)
from .heads import (
    FaceHead as FaceHead,
    PoseHead as PoseHead,
    masked_mean as masked_mean,
)
from .i18n import (
    LANGUAGES as LANGUAGES,
    get_language as get_language,
    set_language as set_language,
)
from .inference import (
    predict_dance as predict_dance,
)
from .keypoints import (
    BODY_PARTS as BODY_PARTS,
    EDGE_GROUP_NAMES as EDGE_GROUP_NAMES,
    EDGE_GROUPS as EDGE_GROUPS,
    FACE_PARTS as FACE_PARTS,
    FINGERS as FINGERS,
    GROUPS as GROUPS,
    KEYPOINT_NAMES as KEYPOINT_NAMES,
    NUM_KEYPOINTS as NUM_KEYPOINTS,
    SKELETON as SKELETON,
    check_pose as check_pose,
    hand_finger as hand_finger,
    index as index,
    rest_pose as rest_pose,
)
from .model import (
    M2PEncoder as M2PEncoder,
)
from .performance import (
    PeakMemory as PeakMemory,
    measure_memory as measure_memory,
    predict_memory as predict_memory,
    stage_flops as stage_flops,
)
from .positional import (
    SinusoidalPositionalEncoding as SinusoidalPositionalEncoding,
    positional_encoding as positional_encoding,
)
from .projection import (
    MusicProjection as MusicProjection,
)
from .real_music import (
    RecordingDance as RecordingDance,
    RecordingDanceDataset as RecordingDanceDataset,
    analyse_music as analyse_music,
    dance_for_recording as dance_for_recording,
    dance_recording as dance_recording,
    dancer_for_tempo as dancer_for_tempo,
)
from .recordings import (
    Recording as Recording,
    available_recordings as available_recordings,
    sample_path as sample_path,
)
from .shapes import (
    ShapeRow as ShapeRow,
    ShapeTrace as ShapeTrace,
    count_parameters as count_parameters,
    trace_shapes as trace_shapes,
)
from .soft_argmax import (
    coordinate_grid as coordinate_grid,
    soft_argmax2d as soft_argmax2d,
    spatial_softmax2d as spatial_softmax2d,
)
from .synthetic.choreography import (
    DANCER_NAMES as DANCER_NAMES,
    DANCER_STYLES as DANCER_STYLES,
    MOVES as MOVES,
    DancerStyle as DancerStyle,
    dance_for_song as dance_for_song,
    dancer_style as dancer_style,
    generate_dance as generate_dance,
    random_motion as random_motion,
)
from .synthetic.dataset import (
    SyntheticDanceDataset as SyntheticDanceDataset,
    default_cache_dir as default_cache_dir,
    pad_collate as pad_collate,
)
from .synthetic.metrics import (
    beat_alignment_score as beat_alignment_score,
    dance_tempo as dance_tempo,
    joint_speed as joint_speed,
    kinematic_beats as kinematic_beats,
    on_tempo as on_tempo,
)
from .synthetic.music import (
    DEFAULT_SONG as DEFAULT_SONG,
    STYLES as STYLES,
    Chord as Chord,
    SynthSong as SynthSong,
    default_song as default_song,
    parse_key as parse_key,
    synth_music as synth_music,
    write_wav as write_wav,
)
from .train import (
    TrainConfig as TrainConfig,
    train as train,
)
from .transformer import (
    build_transformer_encoder as build_transformer_encoder,
)
from .viz import (
    PoseArtists as PoseArtists,
    animate_poses as animate_poses,
    animation_html as animation_html,
    draw_pose as draw_pose,
    draw_pose_artists as draw_pose_artists,
    make_pose_animation as make_pose_animation,
    plot_pose_grid as plot_pose_grid,
    save_dance_gif as save_dance_gif,
    save_pose_figure as save_pose_figure,
)

__version__: str
