"""YOLO text files (Ultralytics / Darknet): one ``.txt`` per picture, one line per region, in
fractions of the picture's width and height.

- a box: ``class cx cy w h`` (its centre and size);
- a polygon (YOLO segmentation): ``class x1 y1 x2 y2 x3 y3 ...``.

A dataset is several files, taken and given as a mapping of path to bytes: the class names in
``data.yaml`` (``names``, a list or a mapping from 0), else ``classes.txt`` or ``obj.names``
(one a line); ``images/.../NAME.jpg`` with ``labels/.../NAME.txt`` (or, Darknet's way, the
``.txt`` beside the picture). A picture without a ``.txt`` is an item with no regions.
Fractions need the picture's size, so the pictures must be in the mapping (their headers are
read, upright by their EXIF orientation as YOLO tools measure them).

Reading into a project that takes boxes and no polygons, a polygon line becomes its bounding
box; into one that takes polygons and no boxes, a box becomes its four-corner polygon. Points
have no place in YOLO's detection and segmentation files: writing one is a FormatError.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Mapping, Sequence

import yaml
from PIL import Image, UnidentifiedImageError

from tasks.problems import Problem, Row
from tasks.regions.answer import SHAPES, Region, Shape
from tasks.regions.formats.common import FormatError, ItemRegions, Role, check_role, role_row

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
NAME_FILES = ("classes.txt", "obj.names")
DIGITS = 6
EXIF_ORIENTATION = 0x0112


def write_yolo(items: Sequence[ItemRegions], labels: Sequence[str]) -> dict[str, bytes]:
    """``data.yaml`` and ``labels/STEM.txt`` for each picture; the pictures themselves belong
    at ``images/<file_name>`` (the caller adds them)."""
    index = {label: k for k, label in enumerate(labels)}
    files: dict[str, bytes] = {}
    for item in items:
        for number, picture in enumerate(item.pictures):
            lines = []
            for region, _ in item.on(number):
                if region.type == "point":
                    raise FormatError(
                        f"item {item.id}: YOLO files hold boxes and polygons, not points (use COCO)"
                    )
                if region.label not in index:
                    raise FormatError(f"item {item.id}: {region.label!r} is not a label")
                lines.append(_line(index[region.label], region, picture.width, picture.height))
            path = label_path(picture.file_name)
            if path in files:
                raise FormatError(f"item {item.id}: two pictures are named {picture.file_name!r}")
            files[path] = "".join(f"{line}\n" for line in lines).encode()
    names = {k: label for k, label in enumerate(labels)}
    files["data.yaml"] = yaml.safe_dump(
        {"path": ".", "train": "images", "val": "images", "names": names},
        sort_keys=False,
        allow_unicode=True,
    ).encode("utf-8")
    return files


def label_path(file_name: str) -> str:
    """Where the labels of a picture at ``images/<file_name>`` go."""
    stem = posixpath.splitext(file_name.replace("\\", "/").lstrip("/"))[0]
    return f"labels/{stem}.txt"


def _line(cls: int, region: Region, width: int, height: int) -> str:
    def f(v: float) -> str:
        return f"{round(v, DIGITS):.{DIGITS}f}".rstrip("0").rstrip(".") or "0"

    if region.type == "box":
        values = [
            (region.x + region.w / 2) / width,
            (region.y + region.h / 2) / height,
            region.w / width,
            region.h / height,
        ]
    else:
        values = [
            v / (width if k % 2 == 0 else height)
            for k, v in enumerate(c for p in region.points for c in p)
        ]
    return " ".join([str(cls), *(f(v) for v in values)])


def read_yolo(
    files: Mapping[str, bytes],
    role: Role = "regions",
    shapes: Sequence[Shape] = SHAPES,
) -> list[Row]:
    """Rows of a YOLO dataset, one per picture (sorted by path), numbered from 1; a problem
    names the label file (as its field) and its line."""
    role = check_role(role)
    clean = {_norm(p): data for p, data in files.items() if not _norm(p).startswith("__MACOSX/")}
    names, problems = _names(clean)
    if problems:
        return [(0, None, problems)]
    pictures = sorted(p for p in clean if p.lower().endswith(IMAGE_EXTENSIONS))
    label_files = {
        p for p in clean if p.endswith(".txt") and posixpath.basename(p) not in NAME_FILES
    }
    used: set[str] = set()
    rows: list[Row] = []
    for number, picture in enumerate(pictures, start=1):
        size = _measure(clean[picture])
        if size is None:
            rows.append((number, None, [Problem(number, picture, "not a readable picture")]))
            continue
        labels = next((c for c in _label_candidates(picture) if c in label_files), None)
        regions: list[Region] = []
        row_problems: list[Problem] = []
        if labels is not None:
            used.add(labels)
            regions, row_problems = _parse(labels, clean[labels], names, size, shapes)
        if row_problems:
            rows.append((number, None, row_problems))
            continue
        rows.append(
            role_row(number, _item_id(picture), [picture], [size], labels or picture, regions, role)
        )
    orphans = sorted(label_files - used)
    if orphans:
        rows.append(
            (0, None, [Problem(0, p, "no picture of this name (images/...)") for p in orphans])
        )
    if not pictures and not orphans:
        rows.append((0, None, [Problem(0, "", "no pictures in the dataset")]))
    return rows


def _norm(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/").lstrip("/"))


def _names(files: Mapping[str, bytes]) -> tuple[list[str], list[Problem]]:
    for path in sorted(files, key=lambda p: (p.count("/"), p)):
        if path.endswith((".yaml", ".yml")):
            try:
                spec = yaml.safe_load(files[path].decode("utf-8"))
            except (UnicodeDecodeError, yaml.YAMLError) as exc:
                return [], [Problem(0, path, f"not readable YAML ({exc})")]
            names = spec.get("names") if isinstance(spec, dict) else None
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return list(names), []
            if isinstance(names, dict) and sorted(names) == list(range(len(names))):
                return [str(names[k]) for k in range(len(names))], []
            return [], [
                Problem(0, f"{path}: names", "must be a list of class names, or a mapping from 0")
            ]
    for path in sorted(files, key=lambda p: (p.count("/"), p)):
        if posixpath.basename(path) in NAME_FILES:
            try:
                text = files[path].decode("utf-8-sig")
            except UnicodeDecodeError:
                return [], [Problem(0, path, "not UTF-8 text")]
            return [line.strip() for line in text.splitlines() if line.strip()], []
    return [], [Problem(0, "", "no class names: add data.yaml (names) or classes.txt")]


def _measure(content: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _label_candidates(picture: str) -> list[str]:
    stem = posixpath.splitext(picture)[0]
    parts = stem.split("/")
    out = []
    for k in range(len(parts) - 1, -1, -1):
        if parts[k] == "images":
            out.append("/".join([*parts[:k], "labels", *parts[k + 1 :]]) + ".txt")
            break
    out.append(stem + ".txt")
    return out


def _item_id(picture: str) -> str:
    stem = posixpath.splitext(picture)[0]
    parts = stem.split("/")
    return "/".join(parts[parts.index("images") + 1 :]) if "images" in parts[:-1] else stem


def _parse(
    path: str,
    content: bytes,
    names: list[str],
    size: tuple[int, int],
    shapes: Sequence[Shape],
) -> tuple[list[Region], list[Problem]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(0, path, "not UTF-8 text")]
    width, height = size
    regions: list[Region] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split()
        if not tokens:
            continue
        try:
            regions.append(_region(tokens, names, width, height, shapes))
        except ValueError as exc:
            problems.append(Problem(number, path, str(exc)))
    return regions, problems


def _region(
    tokens: list[str],
    names: list[str],
    width: int,
    height: int,
    shapes: Sequence[Shape],
) -> Region:
    if not tokens[0].isdigit() or int(tokens[0]) >= len(names):
        raise ValueError(f"class {tokens[0]!r} is not a class number (0 to {len(names) - 1})")
    label = names[int(tokens[0])]
    try:
        values = [float(t) for t in tokens[1:]]
    except ValueError:
        raise ValueError("the values after the class must be numbers") from None
    if len(values) == 4:
        cx, cy, w, h = values
        x0, y0 = (cx - w / 2) * width, (cy - h / 2) * height
        box = Region(0, label, "box", x0, y0, w * width, h * height)
        if "box" in shapes or "polygon" not in shapes:
            return box
        x1, y1 = x0 + w * width, y0 + h * height
        return Region(0, label, "polygon", points=((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
    if len(values) >= 6 and len(values) % 2 == 0:
        points = tuple(
            (values[k] * width, values[k + 1] * height) for k in range(0, len(values), 2)
        )
        polygon = Region(0, label, "polygon", points=points)
        if "polygon" in shapes or "box" not in shapes:
            return polygon
        x0, y0, x1, y1 = polygon.bounds()
        return Region(0, label, "box", x0, y0, x1 - x0, y1 - y0)
    raise ValueError(
        f"{len(values)} values after the class: a box has 4 (cx cy w h), a "
        "polygon 6 or more (x y pairs)"
    )
