"""Coordinates: distances, the grid keys of the place index, and map links.

Everything is stored in WGS-84, the datum of GPS, Telegram and browsers.
Chinese map services (高德/AMap, 腾讯) use GCJ-02, an obfuscated datum offset by
up to several hundred metres; a link to them carries converted coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Tuple
from urllib.parse import urlencode

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)

# Krasovsky 1940 ellipsoid, the reference of GCJ-02.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Grid:
    """Square cells of `degrees`, keyed row by row: key = row * lon_span + column.

    Keys run west to east along a row; the place index looks each cell up.
    """

    degrees: float
    lon_span: int

    def cell_of(self, lat: float, lon: float) -> int:
        """The key of the cell holding a point."""
        return math.floor(lat / self.degrees) * self.lon_span + math.floor(lon / self.degrees)

    def cells_within(self, lat: float, lon: float, radius_m: float) -> List[int]:
        """The keys of the cells that meet the circle around a point, row by row.

        A circle rather than its square leaves out the corners, where a dense
        town may lie.
        """
        reach = radius_m * 1.001  # the haversine circle lies within this equirectangular one
        dlat = reach / _M_PER_DEGREE
        cells: List[int] = []
        for row in range(math.floor((lat - dlat) / self.degrees), math.floor((lat + dlat) / self.degrees) + 1):
            south, north = row * self.degrees, (row + 1) * self.degrees
            dy = (min(max(lat, south), north) - lat) * _M_PER_DEGREE
            half_width = math.sqrt(max(reach * reach - dy * dy, 0.0))
            widest = min(max(abs(south), abs(north), abs(lat)), 89.0)  # a degree of longitude is shortest there
            dlon = half_width / (_M_PER_DEGREE * math.cos(math.radians(widest)))
            first, last = math.floor((lon - dlon) / self.degrees), math.floor((lon + dlon) / self.degrees)
            cells.extend(range(row * self.lon_span + first, row * self.lon_span + last + 1))
        return cells


# Cells at 长治's latitude: about 220 m by 180 m, the few nearest of a dense street
# (keys need 64 bits); 1.1 km by 0.9 km across town; 5.6 km by 4.5 km across a county.
STREET_GRID = Grid(0.002, 1_000_000)
TOWN_GRID = Grid(0.01, 100_000)
COUNTY_GRID = Grid(0.05, 10_000)


def _outside_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> Tuple[float, float]:
    """WGS-84 → GCJ-02 (the published forward transform; identity outside China)."""
    if _outside_china(lat, lon):
        return lat, lon
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> Tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration (error well below a metre)."""
    if _outside_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(10):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        wlat, wlon = wlat + (lat - glat), wlon + (lon - glon)
    return wlat, wlon


def amap_link(lat: float, lon: float, name: str) -> str:
    """A 高德地图 marker link that opens on the right spot (coordinates sent as GCJ-02)."""
    glat, glon = wgs84_to_gcj02(lat, lon)
    query = urlencode({"position": f"{glon:.6f},{glat:.6f}", "name": name, "coordinate": "gaode", "callnative": 1})
    return f"https://uri.amap.com/marker?{query}"
