"""Coordinates: distances, the grid key of the place index, and map links.

Everything is stored in WGS-84, the datum of GPS, Telegram and browsers.
Chinese map services (高德/AMap, 腾讯) use GCJ-02, an obfuscated datum offset by
up to several hundred metres; a link to them carries converted coordinates.
"""

from __future__ import annotations

import math
from typing import Iterator, Tuple
from urllib.parse import urlencode

EARTH_RADIUS_M = 6_371_008.8
CELL_DEGREES = 0.01
_CELL_LON_SPAN = 100_000  # cell = lat_index * span + lon_index

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


def cell_of(lat: float, lon: float) -> int:
    """The 0.01-degree grid cell holding a point."""
    return math.floor(lat / CELL_DEGREES) * _CELL_LON_SPAN + math.floor(lon / CELL_DEGREES)


def cells_around(lat: float, lon: float, radius_m: float) -> Iterator[int]:
    """Every cell that intersects the square of side 2*radius around a point."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    lat_lo, lat_hi = math.floor((lat - dlat) / CELL_DEGREES), math.floor((lat + dlat) / CELL_DEGREES)
    lon_lo, lon_hi = math.floor((lon - dlon) / CELL_DEGREES), math.floor((lon + dlon) / CELL_DEGREES)
    for i in range(lat_lo, lat_hi + 1):
        for j in range(lon_lo, lon_hi + 1):
            yield i * _CELL_LON_SPAN + j


def bounding_box(lat: float, lon: float, radius_m: float) -> Tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the square around a point."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


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
