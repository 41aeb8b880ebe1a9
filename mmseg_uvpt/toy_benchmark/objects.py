"""Drawing of the toy scene's things and stuff in world coordinates (metres).

Each method draws one object with a few parts; the label of every part is the
Cityscapes class the object belongs to (a car's windows and tyres are 'car', a
tree's trunk is 'vegetation'), so the labels follow Cityscapes' conventions.
"""
import numpy as np

from ..datasets.label_ids import cityscapes_name_to_id
from .canvas import GROUND_DEPTH

CLASS_ID = cityscapes_name_to_id()


class Painter:
    """Draws objects on a canvas through a camera with a domain's palette.

    Args:
        canvas (Canvas): the part raster.
        camera (Camera): the projection.
        rng (numpy.random.Generator): the scene's random generator.
        palette (dict): material -> list of RGB choices.
    """

    def __init__(self, canvas, camera, rng, palette):
        self.canvas, self.cam, self.rng, self.palette = canvas, camera, rng, palette

    # ---------------------------------------------------------------- parts
    def color(self, material, jitter=10.0):
        choices = self.palette[material]
        base = np.asarray(choices[self.rng.integers(len(choices))], np.float64)
        return np.clip(base + self.rng.normal(0.0, jitter, 3), 0, 255)

    def part(self, cls, material=None, texture='flat', depth=GROUND_DEPTH,
             shade=1.0, color=None):
        color = self.color(material) if color is None else np.asarray(color)
        return self.canvas.add_part(CLASS_ID[cls], np.clip(color * shade, 0, 255),
                                    texture, depth)

    # ---------------------------------------------------------------- ground
    def ground(self, x1, x2, z1, z2, cls, material, texture, color=None):
        part = self.part(cls, material, texture, color=color)
        self.canvas.poly(self.cam.ground_quad(x1, x2, z1, z2), part)
        return part

    def lane_marks(self, x, z_far, material, dashed=True, width=0.15):
        part = self.part('road', material, 'flat')
        step = 9.0 if dashed else z_far
        for z in np.arange(self.cam.near_ground_depth() * 0.8, z_far, step):
            length = 4.0 if dashed else z_far
            self.canvas.poly(
                self.cam.ground_quad(x - width / 2, x + width / 2, z,
                                     min(z + length, z_far)), part)

    # ---------------------------------------------------------------- buildings
    def building(self, x_face, z1, z2, height, outward):
        """Facade on the plane x = x_face from z1 to z2 (``outward`` = +1 on the
        right side, -1 on the left), its end face at z1, windows and a door."""
        shade = 0.85 if outward > 0 else 1.0  # one side in the sun
        color = self.color('building', 18)
        end = self.part('building', texture='facade', depth=z1, shade=0.7 * shade,
                        color=color)
        self.canvas.poly(self.cam.front_quad(
            x_face, x_face + outward * 12.0, 0.0, height, z1), end)
        face = self.part('building', texture='facade', depth=(z1 + z2) / 2,
                         shade=shade, color=color)
        self.canvas.poly(self.cam.side_quad(x_face, 0.0, height, z1, z2), face)
        self._windows(x_face, z1, z2, height, shade)

    def _windows(self, x_face, z1, z2, height, shade):
        glass = self.part('building', 'window', 'glass', depth=(z1 + z2) / 2,
                          shade=shade)
        col_gap = self.rng.uniform(2.3, 3.6)
        win_w, win_h = col_gap * 0.5, self.rng.uniform(1.1, 1.7)
        # columns stop where a window would get narrower than ~1 pixel
        z_max = min(z2 - win_w, self.cam.focal * win_w / 1.2)
        ys = np.arange(3.6, height - 1.8, 3.2)[:, None]
        zs = np.arange(z1 + 0.7, z_max, col_gap)[None, :]
        if ys.size and zs.size:
            ys, zs = np.broadcast_arrays(ys, zs)
            ys, zs = ys.reshape(-1, 1), zs.reshape(-1, 1)
            self.canvas.poly(self.cam.project(
                x_face, ys + [0, 0, win_h, win_h], zs + [0, win_w, win_w, 0]),
                glass)
        door_z = self.rng.uniform(z1 + 1.0, max(z1 + 1.1, z2 - 3.0))
        door = self.part('building', 'window', 'flat', depth=door_z, shade=0.6)
        self.canvas.poly(self.cam.side_quad(x_face, 0.0, 2.4, door_z, door_z + 1.4),
                         door)

    def skyline(self, z, x_range, height_range, count):
        for _ in range(count):
            x = self.rng.uniform(*x_range)
            width, height = self.rng.uniform(15, 60), self.rng.uniform(*height_range)
            cls, mat = (('building', 'building') if self.rng.random() < 0.7 else
                        ('vegetation', 'vegetation'))
            part = self.part(cls, mat, 'facade' if cls == 'building' else
                             'foliage', depth=z)
            self.canvas.poly(self.cam.front_quad(x, x + width, 0, height, z), part)

    def end_wall(self, z, height):
        """A building across the street closing the view."""
        part = self.part('building', 'building', 'facade', depth=z)
        self.canvas.poly(self.cam.front_quad(-200, 200, 0, height, z), part)

    # ---------------------------------------------------------------- barriers
    def barrier(self, cls, x, z1, z2, height, material, texture):
        part = self.part(cls, material, texture, depth=(z1 + z2) / 2)
        self.canvas.poly(self.cam.side_quad(x, 0.0, height, z1, z2), part)

    # ---------------------------------------------------------------- nature
    def tree(self, x, z, height):
        trunk_w = self.rng.uniform(0.25, 0.45)
        trunk = self.part('vegetation', 'trunk', 'flat', depth=z)
        self.canvas.poly(self.cam.front_quad(x - trunk_w / 2, x + trunk_w / 2, 0,
                                             height * 0.55, z), trunk)
        crown = self.part('vegetation', 'vegetation', 'foliage', depth=z)
        radius = height * self.rng.uniform(0.22, 0.32)
        for _ in range(self.rng.integers(3, 7)):
            cx = x + self.rng.normal(0, radius * 0.45)
            cy = height * 0.72 + self.rng.normal(0, radius * 0.3)
            r = radius * self.rng.uniform(0.6, 1.0)
            center = self.cam.project(cx, cy, z)
            self.canvas.ellipse(center, (r * self.cam.scale(z),) * 2, crown)

    # ---------------------------------------------------------------- poles
    def pole(self, x, z, kind, toward_road):
        height = self.rng.uniform(4.0, 7.5) if kind != 'sign' else \
            self.rng.uniform(2.4, 3.2)
        width = self.rng.uniform(0.12, 0.2)
        pole = self.part('pole', 'pole', 'flat', depth=z)
        self.canvas.poly(self.cam.front_quad(x - width / 2, x + width / 2, 0,
                                             height, z), pole)
        if kind == 'sign':
            self.sign(x, height, z)
        elif kind == 'light':
            arm = self.rng.uniform(0.0, 3.0)
            x_end = x + toward_road * arm
            if arm > 0.3:
                self.canvas.poly(self.cam.front_quad(
                    min(x, x_end), max(x, x_end), height - 0.15, height, z), pole)
            self.traffic_light(x_end, height, z)

    def sign(self, x, top, z):
        size = self.rng.uniform(0.55, 0.8)
        part = self.part('traffic sign', 'sign', 'flat', depth=z)
        cx, cy = self.cam.project(x, top - size / 2, z)
        half = size / 2 * self.cam.scale(z)
        shape = self.rng.integers(3)
        if shape == 0:
            self.canvas.ellipse((cx, cy), (half, half), part)
        elif shape == 1:
            self.canvas.poly([(cx - half, cy - half), (cx + half, cy - half),
                              (cx, cy + half)], part)
        else:
            self.canvas.poly([(cx - half, cy - half * 0.8), (cx + half, cy - half * 0.8),
                              (cx + half, cy + half * 0.8), (cx - half, cy + half * 0.8)],
                             part)
        inner = self.part('traffic sign', 'sign', 'flat', depth=z)
        self.canvas.ellipse((cx, cy), (half * 0.5, half * 0.5), inner)

    def traffic_light(self, x, top, z):
        w, h = 0.35, 0.95
        body = self.part('traffic light', 'light_body', 'flat', depth=z)
        self.canvas.poly(self.cam.front_quad(x - w / 2, x + w / 2, top - h, top, z),
                         body)
        lit = self.rng.integers(3)
        for i, lamp in enumerate([(230, 40, 30), (240, 190, 30), (40, 210, 90)]):
            on = 1.0 if i == lit else 0.35
            part = self.part('traffic light', texture='flat', depth=z,
                             color=np.asarray(lamp) * on)
            cy = top - h * (0.2 + 0.3 * i)
            self.canvas.ellipse(self.cam.project(x, cy, z),
                                (0.1 * self.cam.scale(z),) * 2, part)

    # ---------------------------------------------------------------- vehicles
    def _box(self, cls, x, z, w, h, length, body, y0=0.0):
        """A box body: visible side face (toward the camera) then the rear."""
        side_x = x - w / 2 if x - w / 2 > 0 else (x + w / 2 if x + w / 2 < 0 else
                                                   None)
        side = self.part(cls, texture='paint', depth=z + length / 2, shade=0.75,
                         color=body)
        if side_x is not None:
            self.canvas.poly(self.cam.side_quad(side_x, y0, h, z, z + length),
                             side)
        rear = self.part(cls, texture='paint', depth=z, color=body)
        self.canvas.poly(self.cam.front_quad(x - w / 2, x + w / 2, y0, h, z), rear)
        return side_x, side

    def _wheels(self, cls, x, z, w, length, side_x, radius=0.33):
        tyre = self.part(cls, 'tyre', 'flat', depth=z)
        for dx in (-1, 1):
            self.canvas.poly(self.cam.front_quad(
                x + dx * (w / 2 - 0.35) - 0.15, x + dx * (w / 2 - 0.35) + 0.15,
                0, radius, z - 0.01), tyre)
        if side_x is not None:
            for wz in (z + 0.9, z + length - 0.9):
                col, row = self.cam.project(side_x, radius, wz)
                scale = self.cam.scale(wz)
                self.canvas.ellipse((col, row), (radius * scale * 0.45,
                                                 radius * scale), tyre)

    def car(self, x, z):
        w, h, length = self.rng.uniform(1.7, 1.95), self.rng.uniform(1.4, 1.6), \
            self.rng.uniform(4.0, 4.8)
        body = self.color('car', 8)
        side_x, side = self._box('car', x, z, w, h * 0.6, length, body, y0=0.2)
        cabin = self.part('car', texture='paint', depth=z + 0.5, color=body)
        self.canvas.poly(self.cam.project(
            [x - w / 2, x + w / 2, x + w * 0.38, x - w * 0.38],
            [h * 0.6, h * 0.6, h, h], z + 0.5), cabin)
        glass = self.part('car', 'glass', 'glass', depth=z + 0.45)
        self.canvas.poly(self.cam.project(
            [x - w * 0.42, x + w * 0.42, x + w * 0.33, x - w * 0.33],
            [h * 0.64, h * 0.64, h * 0.94, h * 0.94], z + 0.45), glass)
        if side_x is not None:
            self.canvas.poly(self.cam.side_quad(side_x, h * 0.62, h * 0.92,
                                                z + 1.0, z + length - 1.2), glass)
        lights = self.part('car', texture='flat', depth=z, color=(200, 30, 30))
        for dx in (-1, 1):
            self.canvas.poly(self.cam.front_quad(
                x + dx * w * 0.42 - 0.12, x + dx * w * 0.42 + 0.12,
                h * 0.45, h * 0.55, z - 0.01), lights)
        self._wheels('car', x, z, w, length, side_x)

    def big_vehicle(self, cls, x, z):
        """Truck, bus or tram/train (``cls``) seen from behind."""
        w = self.rng.uniform(2.4, 2.6)
        h = dict(truck=3.4, bus=3.1, train=3.5)[cls] * self.rng.uniform(0.9, 1.05)
        length = dict(truck=7.5, bus=11.5, train=25.0)[cls]
        body = self.color(cls, 10)
        side_x, _ = self._box(cls, x, z, w, h, length, body, y0=0.35)
        glass = self.part(cls, 'glass', 'glass', depth=z)
        if cls == 'truck':
            self.canvas.poly(self.cam.front_quad(x - 0.05, x + 0.05, 0.5, h - 0.2,
                                                 z - 0.01), glass)
        else:
            self.canvas.poly(self.cam.front_quad(x - w * 0.4, x + w * 0.4, h * 0.55,
                                                 h * 0.9, z - 0.01), glass)
            if side_x is not None:
                for wz in np.arange(z + 1.0, z + length - 1.5, 1.8):
                    self.canvas.poly(self.cam.side_quad(side_x, h * 0.55, h * 0.88,
                                                        wz, wz + 1.4), glass)
        self._wheels(cls, x, z, w, length, side_x, radius=0.5)

    # ---------------------------------------------------------------- people
    def person(self, x, z, cls='person', base_y=0.0, seated=False):
        height = self.rng.normal(1.72, 0.08) * (0.75 if seated else 1.0)
        shoulders = self.rng.uniform(0.42, 0.5)
        legs = self.part(cls, 'clothes', 'cloth', depth=z, shade=0.6)
        torso = self.part(cls, 'clothes', 'cloth', depth=z)
        skin = self.part(cls, 'skin', 'flat', depth=z)
        leg_top = base_y + height * 0.47
        if not seated:
            for dx in (-1, 1):
                self.canvas.poly(self.cam.front_quad(
                    x + dx * 0.11 - 0.08, x + dx * 0.11 + 0.08, base_y, leg_top, z),
                    legs)
        self.canvas.poly(self.cam.front_quad(
            x - shoulders / 2, x + shoulders / 2, leg_top - 0.05,
            base_y + height * 0.83, z), torso)
        for dx in (-1, 1):
            self.canvas.poly(self.cam.front_quad(
                x + dx * shoulders / 2 - 0.04, x + dx * shoulders / 2 + 0.06,
                base_y + height * 0.45, base_y + height * 0.8, z), torso)
        head_c = self.cam.project(x, base_y + height * 0.91, z)
        scale = self.cam.scale(z)
        self.canvas.ellipse(head_c, (0.1 * scale, 0.12 * scale), skin)

    def bicycle_side(self, cls, x, z, motor=False):
        """A two-wheeler seen from the side in the plane z (crossing / parked)."""
        radius = 0.42 if motor else 0.35
        base = 1.5 if motor else 1.05
        frame = self.part(cls, 'tyre' if motor else 'pole', 'flat', depth=z)
        scale = self.cam.scale(z)
        (c1, r1), (c2, r2) = [self.cam.project(x + dx * base / 2, radius, z)
                              for dx in (-1, 1)]
        thick = max(1.0, (0.14 if motor else 0.06) * scale)
        self.canvas.ring((c1, r1), radius * scale, thick, frame)
        self.canvas.ring((c2, r2), radius * scale, thick, frame)
        top = self.cam.project(x, radius * 2.1, z)
        self.canvas.line((c1, r1), top, max(1.0, 0.05 * scale), frame)
        self.canvas.line((c2, r2), top, max(1.0, 0.05 * scale), frame)
        self.canvas.line((c1, r1), (c2, r2), max(1.0, 0.05 * scale), frame)
        if motor:
            body = self.part(cls, 'car', 'paint', depth=z)
            self.canvas.ellipse(self.cam.project(x, radius * 1.5, z),
                                (base * 0.35 * scale, 0.28 * scale), body)
        return radius * 2.0

    def rider(self, x, z, crossing):
        motor = self.rng.random() < 0.3
        vehicle = 'motorcycle' if motor else 'bicycle'
        if crossing:
            seat = self.bicycle_side(vehicle, x, z + 0.05, motor)
        else:  # seen from behind: a thin wheel and handlebar
            frame = self.part(vehicle, 'tyre', 'flat', depth=z)
            seat = 0.9
            self.canvas.poly(self.cam.front_quad(x - 0.05, x + 0.05, 0, seat, z),
                             frame)
            self.canvas.poly(self.cam.front_quad(x - 0.3, x + 0.3, seat + 0.1,
                                                 seat + 0.15, z), frame)
        self.person(x, z - 0.05, 'rider', base_y=seat * 0.8, seated=True)

    # ---------------------------------------------------------------- misc
    def static_object(self, x, z):
        w, h = self.rng.uniform(0.4, 0.9), self.rng.uniform(0.5, 1.1)
        part = self.part('static', 'static', 'flat', depth=z)
        self.canvas.poly(self.cam.front_quad(x - w / 2, x + w / 2, 0, h, z), part)

    def hood(self):
        """The ego car's bonnet at the bottom of the image (Cityscapes-style)."""
        width, height = self.canvas.width, self.canvas.height
        top = height * self.rng.uniform(0.88, 0.92)
        xs = np.linspace(-5, width + 5, 24)
        rows = top + 0.06 * height * ((xs - width / 2) / (width / 2))**2
        part = self.part('ego vehicle', 'hood', 'glass')
        self.canvas.poly(np.concatenate([np.stack([xs, rows], 1),
                                         [[width + 5, height + 5],
                                          [-5, height + 5]]]), part)
