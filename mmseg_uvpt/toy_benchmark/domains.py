"""The two toy domains: a GTA-like source and a Cityscapes-like target.

They share the scene grammar but differ the way GTA5 and Cityscapes do:

* camera: the source camera sits higher with a wider lens and a higher horizon;
  the target sees its own car's hood at the bottom (Cityscapes' 'ego vehicle');
* layout and class frequencies: wide roads, lawns, many vehicles in the source;
  narrow streets, continuous facades, street trees, pedestrians and cyclists in
  the target;
* palette: saturated, sunny colours, yellow US-style signs and lane lines in
  the source; greyish colours, European signs in the target;
* photometry: the target is hazy, low-contrast, cool, blurred and noisy.

Ranges are (low, high) for uniform draws per image.
"""
from dataclasses import dataclass

# RGB colour choices per material, 0..255
SOURCE_PALETTE = dict(
    sky=[(70, 140, 235), (95, 165, 240), (60, 120, 220)],
    road=[(62, 60, 70), (75, 72, 80), (55, 55, 62)],
    marking=[(240, 240, 225)], center_line=[(235, 190, 30)],
    sidewalk=[(200, 190, 170), (185, 180, 175), (210, 200, 180)],
    curb=[(225, 220, 210)],
    building=[(205, 170, 115), (185, 85, 65), (235, 225, 200), (110, 150, 200),
              (215, 195, 150), (160, 120, 90)],
    window=[(35, 55, 100), (140, 185, 235), (60, 80, 120)],
    wall=[(210, 195, 165), (165, 140, 115), (190, 180, 160)],
    fence=[(150, 110, 70), (175, 175, 180)],
    pole=[(105, 105, 110), (70, 80, 70)],
    light_body=[(215, 175, 40), (60, 60, 55)],
    sign=[(30, 135, 65), (245, 205, 20), (240, 240, 240)],
    vegetation=[(55, 150, 35), (75, 165, 45), (40, 125, 40)],
    trunk=[(110, 80, 45)],
    terrain=[(140, 185, 65), (160, 190, 80), (120, 170, 60)],
    skin=[(235, 190, 150), (190, 140, 100), (120, 85, 60)],
    clothes=[(220, 40, 40), (40, 90, 220), (240, 200, 30), (30, 170, 90),
             (240, 240, 240), (250, 120, 20), (150, 50, 180)],
    car=[(220, 30, 30), (30, 70, 210), (245, 210, 25), (30, 160, 60),
         (245, 245, 245), (25, 25, 30), (250, 110, 20), (140, 40, 160)],
    truck=[(235, 235, 235), (200, 40, 40), (40, 100, 200)],
    bus=[(245, 195, 30), (40, 95, 190), (235, 235, 235)],
    train=[(215, 215, 220), (230, 70, 50)],
    glass=[(30, 40, 60), (90, 120, 160)],
    tyre=[(20, 20, 22)],
    static=[(90, 60, 40), (60, 110, 60)],
    hood=[(25, 25, 30)],
)

TARGET_PALETTE = dict(
    sky=[(150, 175, 210), (135, 165, 205), (170, 185, 205)],
    road=[(95, 95, 98), (110, 108, 108), (85, 88, 92)],
    marking=[(215, 215, 210)], center_line=[(215, 215, 210)],
    sidewalk=[(140, 125, 120), (125, 120, 118), (150, 140, 130)],
    curb=[(165, 165, 160)],
    building=[(150, 140, 125), (125, 115, 105), (175, 165, 150), (110, 105, 100),
              (160, 120, 100), (135, 135, 130)],
    window=[(45, 50, 55), (80, 90, 95), (30, 32, 35)],
    wall=[(140, 135, 125), (115, 110, 105), (160, 150, 140)],
    fence=[(95, 95, 90), (120, 110, 95)],
    pole=[(50, 52, 50), (70, 72, 68)],
    light_body=[(40, 42, 40), (70, 72, 70)],
    sign=[(200, 35, 35), (30, 80, 170), (235, 235, 235)],
    vegetation=[(70, 110, 50), (55, 95, 45), (90, 120, 60)],
    trunk=[(75, 65, 55)],
    terrain=[(125, 140, 80), (135, 135, 90), (110, 130, 75)],
    skin=[(210, 170, 140), (170, 130, 100)],
    clothes=[(40, 40, 45), (70, 70, 80), (30, 40, 70), (120, 110, 100),
             (150, 40, 40), (200, 200, 195)],
    car=[(40, 40, 42), (150, 150, 155), (200, 200, 200), (30, 45, 80),
         (100, 100, 105), (120, 30, 30), (230, 230, 228)],
    truck=[(210, 210, 205), (90, 95, 100)],
    bus=[(230, 230, 225), (200, 50, 40)],
    train=[(225, 225, 220), (200, 40, 40)],
    glass=[(35, 40, 45), (70, 80, 90)],
    tyre=[(25, 25, 25)],
    static=[(70, 70, 70), (90, 80, 60)],
    hood=[(30, 32, 35)],
)


@dataclass(frozen=True)
class Domain:
    """Parameters of one toy domain (see the module docstring)."""

    name: str
    palette: dict
    # camera
    horizon: tuple            # horizon row as a fraction of the image height
    cam_height: tuple         # metres
    focal: tuple              # pixels at 512 px width
    ego_hood: bool
    # layout
    road_width: tuple         # metres, whole road
    sidewalk_width: tuple
    lawn_prob: float          # building set back behind a lawn (terrain)
    segment_probs: dict       # road-side segment kinds
    building_height: tuple
    street_tree_gap: tuple    # metres between street trees (None: none)
    pole_gap: tuple
    # counts per image (Poisson means)
    cars: float
    parked_cars: float
    trucks: float
    buses: float
    trains: float
    persons: float
    riders: float
    bikes: float
    statics: float
    # photometry
    saturation: tuple
    contrast: tuple
    tint: tuple               # RGB gains
    haze_dist: tuple          # metres; larger = clearer
    haze_color: tuple
    blur_sigma: tuple
    noise_sigma: float
    texture_gain: float
    vignette: float
    gamma: tuple
    sky_gradient: float = 0.35


SOURCE = Domain(
    name='source', palette=SOURCE_PALETTE,
    horizon=(0.34, 0.42), cam_height=(1.9, 2.4), focal=(270, 310),
    ego_hood=False,
    road_width=(11.0, 17.0), sidewalk_width=(2.0, 3.5), lawn_prob=0.45,
    segment_probs=dict(building=0.55, trees=0.25, wall=0.08, fence=0.12),
    building_height=(6.0, 30.0), street_tree_gap=(25.0, 60.0),
    pole_gap=(18.0, 40.0),
    cars=5.0, parked_cars=2.0, trucks=0.8, buses=0.5, trains=0.08,
    persons=1.5, riders=0.4, bikes=0.2, statics=0.8,
    saturation=(1.1, 1.35), contrast=(1.05, 1.2), tint=(1.06, 1.0, 0.92),
    haze_dist=(700.0, 2000.0), haze_color=(0.85, 0.9, 0.98),
    blur_sigma=(0.0, 0.0), noise_sigma=0.008, texture_gain=0.6,
    vignette=0.0, gamma=(0.9, 1.0))

TARGET = Domain(
    name='target', palette=TARGET_PALETTE,
    horizon=(0.44, 0.52), cam_height=(1.2, 1.45), focal=(340, 400),
    ego_hood=True,
    road_width=(6.0, 10.0), sidewalk_width=(2.5, 4.5), lawn_prob=0.1,
    segment_probs=dict(building=0.7, trees=0.12, wall=0.1, fence=0.08),
    building_height=(10.0, 22.0), street_tree_gap=(8.0, 18.0),
    pole_gap=(10.0, 22.0),
    cars=2.0, parked_cars=5.0, trucks=0.3, buses=0.25, trains=0.15,
    persons=6.0, riders=1.5, bikes=2.0, statics=1.5,
    saturation=(0.55, 0.75), contrast=(0.8, 0.92), tint=(0.95, 1.0, 1.05),
    haze_dist=(180.0, 500.0), haze_color=(0.78, 0.82, 0.88),
    blur_sigma=(0.5, 0.9), noise_sigma=0.025, texture_gain=1.2,
    vignette=0.3, gamma=(1.0, 1.15))

DOMAINS = dict(source=SOURCE, target=TARGET)
