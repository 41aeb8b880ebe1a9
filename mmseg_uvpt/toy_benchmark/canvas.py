"""Raster of "parts" and a pin-hole street camera for the toy scenes.

Every primitive drawn on the :class:`Canvas` gets its own part id, which carries
a Cityscapes label id, a base colour, a texture kind and a depth. The label map,
the image and the haze are all look-ups of the part map, so labels and pixels
agree exactly by construction.
"""
import cv2
import numpy as np

# depth value meaning "ground plane: take the depth from the image row"
GROUND_DEPTH = -1.0
_SHIFT = 3  # cv2 fixed-point bits: sub-pixel vertex precision for small objects
_SCALE = 1 << _SHIFT


class Canvas:
    """Part-id raster with per-part attributes.

    Args:
        height (int): raster height.
        width (int): raster width.
    """

    def __init__(self, height, width):
        self.height, self.width = height, width
        self.parts = np.zeros((height, width), np.uint16)
        self.class_ids, self.colors, self.textures, self.depths = [], [], [], []

    def add_part(self, class_id, color, texture='flat', depth=GROUND_DEPTH):
        """Register a part; returns its id. ``color`` is RGB in 0..255."""
        if len(self.class_ids) >= 65535:
            raise RuntimeError('too many parts in one toy scene')
        self.class_ids.append(class_id)
        self.colors.append(np.asarray(color, np.float32) / 255.0)
        self.textures.append(texture)
        self.depths.append(depth)
        return len(self.class_ids) - 1

    def _fixed(self, points):
        fixed = np.asarray(points, np.float64) * _SCALE
        return np.clip(fixed, -2**26, 2**26, out=fixed).round().astype(np.int32)

    def poly(self, points, part):
        """Fill a polygon given as (x, y) image points, or several given as an
        array of shape (num_polygons, num_points, 2)."""
        points = self._fixed(points)
        polys = list(points) if points.ndim == 3 else [points]
        cv2.fillPoly(self.parts, polys, int(part), lineType=cv2.LINE_8,
                     shift=_SHIFT)

    def ellipse(self, center, axes, part):
        """Fill an axis-aligned ellipse (``axes`` = half width, half height)."""
        if min(axes) < 0.3:
            return
        cv2.ellipse(self.parts, tuple(int(v) for v in self._fixed(center)),
                    tuple(int(v) for v in self._fixed(axes)), 0, 0, 360,
                    int(part), -1, cv2.LINE_8, _SHIFT)

    def line(self, p1, p2, thickness, part):
        """Draw a segment ``thickness`` pixels wide (at least 1)."""
        cv2.line(self.parts, tuple(int(v) for v in self._fixed(p1)),
                 tuple(int(v) for v in self._fixed(p2)), int(part),
                 max(1, int(round(thickness))), cv2.LINE_8, _SHIFT)

    def ring(self, center, radius, thickness, part):
        """Draw a circle outline (a wheel)."""
        if radius < 0.5:
            return
        cv2.circle(self.parts, tuple(int(v) for v in self._fixed(center)),
                   int(radius * _SCALE), int(part),
                   max(1, int(round(thickness))), cv2.LINE_8, _SHIFT)

    def lookup(self, values):
        """Map the part raster through a per-part array (labels, colours...)."""
        return np.asarray(values)[self.parts]


class Camera:
    """Level pin-hole camera over a flat ground; world X right, Y up, Z forward.

    Args:
        width (int), height (int): image size.
        focal (float): focal length in pixels.
        horizon (float): image row of the horizon.
        cam_height (float): camera height above the ground, metres.
        cx (float): image column of the optical axis.
    """

    NEAR = 0.5  # metres: nearer points are clamped (they project off-image)

    def __init__(self, width, height, focal, horizon, cam_height, cx=None):
        self.width, self.height = width, height
        self.focal, self.horizon, self.cam_height = focal, horizon, cam_height
        self.cx = width / 2.0 if cx is None else cx

    def project(self, x, y, z):
        """Image (col, row) of world points (arrays broadcast), shape (..., 2)."""
        z = np.maximum(z, self.NEAR)
        col = self.cx + self.focal * np.divide(x, z)
        row = self.horizon + self.focal * np.divide(
            np.subtract(self.cam_height, y), z)
        out = np.empty(np.broadcast(col, row).shape + (2, ))
        out[..., 0], out[..., 1] = col, row
        return out

    def scale(self, z):
        """Pixels per metre at depth z."""
        return self.focal / max(z, self.NEAR)

    def near_ground_depth(self):
        """Depth of the ground seen at the bottom image row."""
        return self.focal * self.cam_height / (self.height - self.horizon)

    def row_depths(self, far=2000.0):
        """Ground depth per image row (``far`` at and above the horizon)."""
        rows = np.arange(self.height, dtype=np.float64) + 0.5 - self.horizon
        with np.errstate(divide='ignore'):
            depth = self.focal * self.cam_height / rows
        return np.where(rows > 0, np.minimum(depth, far), far)

    # ---- planar quads in the world
    def ground_quad(self, x1, x2, z1, z2):
        """Image polygon of the ground rectangle x in [x1, x2], z in [z1, z2]."""
        return self.project([x1, x2, x2, x1], 0.0, [z1, z1, z2, z2])

    def side_quad(self, x, y1, y2, z1, z2):
        """Polygon of a vertical plane x = const (a facade, a car side)."""
        return self.project(x, [y1, y1, y2, y2], [z1, z2, z2, z1])

    def front_quad(self, x1, x2, y1, y2, z):
        """Polygon of a vertical plane z = const facing the camera."""
        return self.project([x1, x2, x2, x1], [y1, y1, y2, y2], z)
