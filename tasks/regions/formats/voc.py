"""Pascal VOC XML: one ``Annotations/NAME.xml`` per picture, the picture in
``JPEGImages/<filename>``, each ``<object>`` a box (``<name>``, ``<bndbox>``).

VOC counts pixels from 1 and its ``xmax``/``ymax`` are the last pixel inside the box (as the
VOC devkit and detectron2 read it): a box at x 10 of width 20 in tapmark's pixels is
``xmin`` 11, ``xmax`` 30. A ``xmin`` of 0 (some tools count from 0) reads as 0. Coordinates
are written with one decimal when they have one.

VOC holds boxes only: writing a polygon or a point is a FormatError. Reading into a project
that takes polygons and no boxes, a box becomes its four-corner polygon. XML is parsed with
defusedxml (no entity expansion, no external references).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from tasks.problems import Problem, Row
from tasks.regions.answer import SHAPES, Region, Shape
from tasks.regions.formats.common import FormatError, ItemRegions, Role, check_role, role_row

ANNOTATIONS = "Annotations"
IMAGES = "JPEGImages"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_voc(items: Sequence[ItemRegions]) -> dict[str, bytes]:
    """``Annotations/ID.xml`` for each picture (``ID_2.xml`` for an item's second picture,
    and so on); the pictures belong at ``JPEGImages/<file_name>``."""
    files: dict[str, bytes] = {}
    for item in items:
        for number in range(len(item.pictures)):
            stem = _UNSAFE.sub("_", item.id) or "item"
            if len(item.pictures) > 1:
                stem = f"{stem}_{number + 1}"
            path = f"{ANNOTATIONS}/{stem}.xml"
            if path in files:
                raise FormatError(f"item {item.id}: {path} is taken by another item")
            files[path] = _document(item, number)
    return files


def _document(item: ItemRegions, number: int) -> bytes:
    picture = item.pictures[number]
    root = Element("annotation")
    SubElement(root, "folder").text = IMAGES
    SubElement(root, "filename").text = picture.file_name
    SubElement(SubElement(root, "source"), "database").text = "tapmark"
    size = SubElement(root, "size")
    SubElement(size, "width").text = str(picture.width)
    SubElement(size, "height").text = str(picture.height)
    SubElement(size, "depth").text = "3"
    SubElement(root, "segmented").text = "0"
    for region, _ in item.on(number):
        if region.type != "box":
            raise FormatError(
                f"item {item.id}: Pascal VOC holds boxes only, not {region.type}s (use COCO)"
            )
        obj = SubElement(root, "object")
        SubElement(obj, "name").text = region.label
        SubElement(obj, "pose").text = "Unspecified"
        SubElement(obj, "truncated").text = "0"
        SubElement(obj, "difficult").text = "0"
        box = SubElement(obj, "bndbox")
        for key, value in (
            ("xmin", region.x + 1),
            ("ymin", region.y + 1),
            ("xmax", region.x + region.w),
            ("ymax", region.y + region.h),
        ):
            SubElement(box, key).text = f"{round(value, 1):g}"
    body: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def read_voc(
    files: Mapping[str, bytes],
    role: Role = "regions",
    shapes: Sequence[Shape] = SHAPES,
) -> list[Row]:
    """Rows of a VOC dataset, one per XML file (sorted by path), numbered from 1; a problem
    names the XML file as its field."""
    role = check_role(role)
    clean = {
        posixpath.normpath(p.replace("\\", "/").lstrip("/")): data for p, data in files.items()
    }
    documents = sorted(
        p for p in clean if p.lower().endswith(".xml") and not p.startswith("__MACOSX/")
    )
    if not documents:
        return [(0, None, [Problem(0, "", f"no {ANNOTATIONS}/*.xml files")])]
    rows: list[Row] = []
    for number, path in enumerate(documents, start=1):
        try:
            root = ElementTree.fromstring(clean[path])
            picture, size, regions = _read(root, shapes)
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            rows.append((number, None, [Problem(number, path, f"not readable XML ({exc})")]))
            continue
        except ValueError as exc:
            rows.append((number, None, [Problem(number, path, str(exc))]))
            continue
        rows.append(
            role_row(
                number,
                _item_id(path),
                [_picture_path(path, picture, clean)],
                [size],
                path,
                regions,
                role,
            )
        )
    return rows


def _text(parent: Element, path: str) -> str:
    node = parent.find(path)
    if node is None or node.text is None or not node.text.strip():
        raise ValueError(f"<{path}> is missing")
    return node.text.strip()


def _number(parent: Element, path: str) -> float:
    try:
        return float(_text(parent, path))
    except ValueError as exc:
        if "missing" in str(exc):
            raise
        raise ValueError(f"<{path}> must be a number") from None


def _read(root: Element, shapes: Sequence[Shape]) -> tuple[str, tuple[int, int], list[Region]]:
    picture = _text(root, "filename")
    width, height = _number(root, "size/width"), _number(root, "size/height")
    if width <= 0 or height <= 0 or not width.is_integer() or not height.is_integer():
        raise ValueError("<size> must give the picture's width and height in pixels")
    regions = []
    for k, obj in enumerate(root.findall("object"), start=1):
        try:
            label = _text(obj, "name")
            xmin, ymin = _number(obj, "bndbox/xmin"), _number(obj, "bndbox/ymin")
            xmax, ymax = _number(obj, "bndbox/xmax"), _number(obj, "bndbox/ymax")
        except ValueError as exc:
            raise ValueError(f"object {k}: {exc}") from None
        x0, y0 = max(xmin - 1.0, 0.0), max(ymin - 1.0, 0.0)
        if "box" in shapes or "polygon" not in shapes:
            regions.append(Region(0, label, "box", x0, y0, xmax - x0, ymax - y0))
        else:
            regions.append(
                Region(0, label, "polygon", points=((x0, y0), (xmax, y0), (xmax, ymax), (x0, ymax)))
            )
    return picture, (int(width), int(height)), regions


def _item_id(path: str) -> str:
    stem = posixpath.splitext(path)[0]
    parts = stem.split("/")
    if ANNOTATIONS in parts[:-1]:
        return "/".join(parts[parts.index(ANNOTATIONS) + 1 :])
    return stem


def _picture_path(path: str, picture: str, files: Mapping[str, bytes]) -> str:
    """The picture's path in the dataset: ``JPEGImages/<filename>`` beside the
    ``Annotations`` folder when it is there, else the file name as written."""
    parts = path.split("/")
    root = (
        "/".join(parts[: parts.index(ANNOTATIONS)])
        if ANNOTATIONS in parts[:-1]
        else posixpath.dirname(path)
    )
    candidate = posixpath.join(root, IMAGES, picture) if root else f"{IMAGES}/{picture}"
    if candidate in files or picture not in files:
        return candidate
    return picture
