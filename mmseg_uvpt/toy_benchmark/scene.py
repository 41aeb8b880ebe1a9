"""Procedural street scene: layout sampling and painter's-order drawing.

A straight street runs away from the camera: road with lane marks, sidewalks,
lawns, and on each side a sequence of segments (building facades with windows,
trees, walls, fences). Poles with signs or traffic lights, street trees, cars,
trucks, buses, trams, pedestrians, riders, bicycles and clutter are placed on it.
Everything is drawn far to near so that occlusion is right.
"""
import numpy as np

from .canvas import Camera, Canvas
from .objects import Painter

SKY_DEPTH = 600.0  # metres, for the haze: the sky fades like a far object


def _uniform(rng, bounds):
    return float(rng.uniform(*bounds))


def sample_camera(rng, domain, width, height):
    return Camera(width, height,
                  focal=_uniform(rng, domain.focal) * width / 512.0,
                  horizon=_uniform(rng, domain.horizon) * height,
                  cam_height=_uniform(rng, domain.cam_height),
                  cx=width / 2.0 + rng.normal(0, width * 0.02))


class StreetScene:
    """One random street scene of a domain.

    Args:
        rng (numpy.random.Generator): the scene's generator (all randomness).
        domain (Domain): layout, class frequencies and palette.
        width (int), height (int): image size.
    """

    def __init__(self, rng, domain, width, height):
        self.rng, self.dom = rng, domain
        self.cam = sample_camera(rng, domain, width, height)
        self.canvas = Canvas(height, width)
        self.paint = Painter(self.canvas, self.cam, rng, domain.palette)
        # the first part gets id 0, which fills the empty raster: the sky
        self.paint.part('sky', 'sky', 'sky', depth=SKY_DEPTH)
        road = _uniform(rng, domain.road_width)
        offset = rng.uniform(-0.25, 0.25) * road
        self.road = (-road / 2 + offset, road / 2 + offset)
        self.walk = (_uniform(rng, domain.sidewalk_width),
                     _uniform(rng, domain.sidewalk_width))
        self.z_end = rng.uniform(90, 200)
        self.items = []  # (depth key, draw callable), drawn far to near

    # ---------------------------------------------------------------- helpers
    def _edge(self, side):
        """x of the curb and of the sidewalk's outer edge on a side (-1/+1)."""
        curb = self.road[1] if side > 0 else self.road[0]
        return curb, curb + side * self.walk[0 if side < 0 else 1]

    def _add(self, key, func, *args):
        self.items.append((key, func, args))

    def _count(self, mean):
        return int(self.rng.poisson(mean))

    # ---------------------------------------------------------------- layout
    def _ground(self):
        paint, far = self.paint, 3000.0
        paint.ground(-400, 400, 0.1, far, 'terrain', 'terrain', 'grass')
        for side in (-1, 1):
            curb, outer = self._edge(side)
            paint.ground(min(curb, outer), max(curb, outer), 0.1, far, 'sidewalk',
                         'sidewalk', 'concrete')
            paint.ground(min(curb, curb + side * 0.25), max(curb, curb + side * 0.25),
                         0.1, far, 'sidewalk', 'curb', 'flat')
        paint.ground(self.road[0], self.road[1], 0.1, far, 'road', 'road',
                     'asphalt')
        lanes = max(1, int(round((self.road[1] - self.road[0]) / 3.5)))
        lane_w = (self.road[1] - self.road[0]) / lanes
        for i in range(1, lanes):
            x = self.road[0] + i * lane_w
            centre = i == lanes // 2 and lanes > 1
            paint.lane_marks(x, self.z_end, 'center_line' if centre else 'marking',
                             dashed=not centre)
        self.lanes = [self.road[0] + (i + 0.5) * lane_w for i in range(lanes)]

    def _background(self):
        if self.rng.random() < 0.35:
            self._add(self.z_end + 40, self.paint.end_wall, self.z_end + 40,
                      self.rng.uniform(10, 30))
        else:
            self._add(800, self.paint.skyline, 800, (-600, 600), (15, 80), 10)

    def _segments(self, side):
        """Road-side segments from near to ``z_end`` on one side."""
        kinds = list(self.dom.segment_probs)
        probs = np.array([self.dom.segment_probs[k] for k in kinds])
        _, outer = self._edge(side)
        z = self.rng.uniform(-10, 3)
        while z < self.z_end:
            kind = kinds[self.rng.choice(len(kinds), p=probs / probs.sum())]
            length = self.rng.uniform(8, 35)
            z2 = min(z + length, self.z_end)
            lawn = self.rng.random() < self.dom.lawn_prob
            face = outer + side * (self.rng.uniform(3, 10) if lawn else 0.0)
            if kind == 'building':
                self._add(z2, self.paint.building, face, z, z2,
                          _uniform(self.rng, self.dom.building_height), side)
            elif kind in ('wall', 'fence'):
                if self.rng.random() < 0.6:  # a building behind the barrier
                    self._add(z2 + 0.1, self.paint.building, face + side * 4, z, z2,
                              _uniform(self.rng, self.dom.building_height), side)
                else:
                    self._trees(outer + side * 2.5, z, z2, side)
                height = (self.rng.uniform(1.0, 3.0) if kind == 'wall' else
                          self.rng.uniform(1.0, 2.0))
                self._add(z2, self.paint.barrier, kind, outer + side * 0.1, z, z2,
                          height, kind, 'lattice' if kind == 'fence' else 'facade')
            else:
                self._trees(outer + side * 2.0, z, z2, side)
            z = z2

    def _trees(self, x_near, z1, z2, side):
        z = z1 + self.rng.uniform(0, 4)
        while z < z2:
            x = x_near + side * self.rng.uniform(0, 5)
            self._add(z, self.paint.tree, x, z, self.rng.uniform(5, 11))
            z += self.rng.uniform(3, 8)

    def _street_furniture(self, side):
        curb, outer = self._edge(side)
        if self.dom.street_tree_gap is not None:
            z = self.rng.uniform(2, self.dom.street_tree_gap[1])
            while z < self.z_end * 0.7:
                self._add(z, self.paint.tree, outer - side * 0.8, z,
                          self.rng.uniform(5, 9))
                z += _uniform(self.rng, self.dom.street_tree_gap)
        z = self.rng.uniform(3, self.dom.pole_gap[1])
        while z < self.z_end * 0.8:
            kind = self.rng.choice(['plain', 'sign', 'light'], p=[0.3, 0.4, 0.3])
            self._add(z, self.paint.pole, curb + side * 0.4, z, kind, -side)
            z += _uniform(self.rng, self.dom.pole_gap)

    def _traffic(self):
        rng, near = self.rng, max(self.cam.near_ground_depth(), 3.0)
        occupied = []

        def free(x, z, length):
            ok = all(abs(x - ox) > 2.2 or z + length < oz or z > oz + olen
                     for ox, oz, olen in occupied)
            if ok:
                occupied.append((x, z, length))
            return ok

        vehicles = [('car', self.dom.cars, 5.0), ('truck', self.dom.trucks, 8.0),
                    ('bus', self.dom.buses, 12.0), ('train', self.dom.trains, 25.0)]
        for cls, mean, length in vehicles:
            for _ in range(self._count(mean)):
                x = self.lanes[rng.integers(len(self.lanes))] + rng.normal(0, 0.3)
                z = rng.uniform(near + 2, 90)
                if free(x, z, length):
                    draw = (self.paint.car if cls == 'car' else
                            (lambda xx, zz, c=cls: self.paint.big_vehicle(c, xx, zz)))
                    self._add(z, draw, x, z)
        for _ in range(self._count(self.dom.parked_cars)):
            side = rng.choice([-1, 1])
            x = (self.road[1] - 1.1) if side > 0 else (self.road[0] + 1.1)
            z = rng.uniform(near, 70)
            if free(x, z, 5.0):
                self._add(z, self.paint.car, x, z)

    def _people(self):
        rng, near = self.rng, max(self.cam.near_ground_depth(), 3.0)
        for _ in range(self._count(self.dom.persons)):
            side = rng.choice([-1, 1])
            curb, outer = self._edge(side)
            crossing = rng.random() < 0.15
            x = (rng.uniform(*self.road) if crossing else
                 rng.uniform(min(curb, outer) + 0.4, max(curb, outer) - 0.4))
            z = rng.uniform(near, 60)
            self._add(z, self.paint.person, x, z)
        for _ in range(self._count(self.dom.riders)):
            crossing = rng.random() < 0.4
            side = rng.choice([-1, 1])
            x = (rng.uniform(*self.road) if crossing else
                 (self.road[1] - 0.9 if side > 0 else self.road[0] + 0.9))
            z = rng.uniform(near + 1, 60)
            self._add(z, self.paint.rider, x, z, crossing)
        for _ in range(self._count(self.dom.bikes)):
            side = rng.choice([-1, 1])
            curb, outer = self._edge(side)
            z = rng.uniform(near, 40)
            self._add(z, self.paint.bicycle_side, 'bicycle', curb + side * 0.9, z)
        for _ in range(self._count(self.dom.statics)):
            side = rng.choice([-1, 1])
            curb, outer = self._edge(side)
            z = rng.uniform(near, 50)
            self._add(z, self.paint.static_object, outer - side * 0.5, z)

    # ---------------------------------------------------------------- build
    def draw(self):
        """Sample the whole scene and draw it; returns the canvas."""
        self._ground()
        self._background()
        for side in (-1, 1):
            self._segments(side)
            self._street_furniture(side)
        self._traffic()
        self._people()
        for _, func, args in sorted(self.items, key=lambda item: -item[0]):
            func(*args)
        if self.dom.ego_hood:
            self.paint.hood()
        return self.canvas
