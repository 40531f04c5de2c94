"""COCO, YOLO, Pascal VOC and Label Studio: each export reads back through its import to the
same canonical answers; the COCO export loads in pycocotools; bad files are named clearly."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from domain.spec import ProjectSpec
from tasks.problems import Row
from tasks.regions.answer import Region, dumps
from tasks.regions.formats import (
    FormatError,
    ItemRegions,
    Picture,
    labeling_config,
    read_coco,
    read_labelstudio,
    read_voc,
    read_yolo,
    write_coco,
    write_labelstudio,
    write_voc,
    write_yolo,
)
from tasks.regions.formats.labelstudio import PERCENT_FRAME
from tasks.regions.items import to_stored
from tasks.regions.types import BoundingBoxes
from tests.regions_samples import LABELS, answers

Answer = tuple[tuple[int, int], tuple[Region, ...]]
slow = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def items_of(drawn: list[Answer]) -> list[ItemRegions]:
    return [
        ItemRegions(f"item-{k}", (Picture(f"p{k}.jpg", w, h),), regions)
        for k, ((w, h), regions) in enumerate(drawn)
    ]


def golds(rows: list[Row]) -> dict[str, str]:
    assert all(not problems for _, _, problems in rows), rows
    return {row["id"]: row["gold"] for _, row, _ in rows if row is not None}


def pre_annotations(rows: list[Row]) -> dict[str, str]:
    assert all(not problems for _, _, problems in rows), rows
    return {
        row["id"]: dumps(
            [
                Region(
                    r["image"],
                    r["label"],
                    r["type"],
                    r.get("x", 0.0),
                    r.get("y", 0.0),
                    r.get("w", 0.0),
                    r.get("h", 0.0),
                    tuple(map(tuple, r.get("points", []))),
                )
                for r in row["data"].get("regions", [])
            ]
        )
        for _, row, _ in rows
        if row is not None
    }


def picture(width: int, height: int, fmt: str = "PNG", orientation: int = 1) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 200, 200))
    exif = image.getexif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def expected(drawn: list[Answer]) -> dict[str, str]:
    return {f"item-{k}": dumps(regions) for k, (_, regions) in enumerate(drawn)}


# COCO


@slow
@given(drawn=st.lists(answers(), min_size=1, max_size=4))
def test_coco_round_trip(drawn: list[Answer]) -> None:
    written = write_coco(items_of(drawn), LABELS)
    assert golds(read_coco(written, "gold")) == expected(drawn)
    assert pre_annotations(read_coco(written, "regions")) == expected(drawn)


def test_coco_named_keypoints_round_trip_and_missing_ones_are_left_out() -> None:
    names = ("nose", "left_eye", "right_eye")
    face = (Region(0, "left_eye", "point", 30.0, 20.0), Region(0, "nose", "point", 25.0, 30.0))
    written = write_coco([ItemRegions("f", (Picture("f.jpg", 64, 48),), face)], (), names)
    document = json.loads(written)
    assert document["categories"] == [
        {
            "id": 1,
            "name": "keypoints",
            "supercategory": "",
            "keypoints": list(names),
            "skeleton": [],
        }
    ]
    assert document["annotations"][0]["keypoints"] == [25.0, 30.0, 2, 30.0, 20.0, 2, 0, 0, 0]
    assert golds(read_coco(written, "gold", ("point",))) == {"f": dumps(face)}


def test_coco_pictures_of_one_item_stay_together() -> None:
    regions = (
        Region(0, "car", "box", 1.0, 2.0, 10.0, 10.0),
        Region(1, "tree", "box", 5.0, 5.0, 20.0, 20.0),
    )
    item = ItemRegions("pair", (Picture("a.jpg", 50, 50), Picture("b.jpg", 60, 40)), regions)
    (row,) = read_coco(write_coco([item], LABELS), "gold")
    assert row[1] is not None
    assert row[1]["data"] == {"images": ["a.jpg", "b.jpg"], "source_sizes": [[50, 50], [60, 40]]}
    assert row[1]["gold"] == dumps(regions)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under numpy 2
def test_the_coco_export_loads_in_pycocotools_and_scores_itself_perfectly(
    tmp_path: Path,
) -> None:
    truth = [
        (
            (320, 240),
            (
                Region(0, "car", "box", 10.0, 20.0, 50.0, 40.0),
                Region(
                    0, "person", "polygon", points=((100.0, 100.0), (150.0, 100.0), (125.0, 160.0))
                ),
            ),
        ),
        ((200, 100), (Region(0, "tree", "box", 0.0, 0.0, 30.0, 90.5),)),
    ]
    items = items_of(truth)
    ground = tmp_path / "truth.json"
    ground.write_bytes(write_coco(items, LABELS))
    coco = COCO(str(ground))
    assert len(coco.getImgIds()) == 2 and len(coco.getAnnIds()) == 3
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == list(LABELS)
    mask = coco.annToMask(coco.loadAnns(coco.getAnnIds(catIds=[2]))[0])
    assert 1400 < mask.sum() < 1600  # the triangle's 1500 px²
    scored = [
        ItemRegions(i.id, i.pictures, i.regions, tuple(0.9 for _ in i.regions)) for i in items
    ]
    results = json.loads(write_coco(scored, LABELS))["annotations"]
    evaluation = COCOeval(coco, coco.loadRes(results), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def test_coco_problems_name_the_json_path() -> None:
    document = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5]},
            {"id": 2, "image_id": 1, "category_id": 7, "bbox": [0, 0, 5, 5]},
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5]},
            {
                "id": 4,
                "image_id": 1,
                "category_id": 1,
                "segmentation": {"counts": "x", "size": [10, 10]},
            },
        ],
    }
    ((_, row, problems),) = read_coco(json.dumps(document), "gold", ("polygon",))
    assert row is None
    assert [str(p) for p in problems] == [
        "file: annotations[0].image_id: names no image of the file",
        "file: annotations[1].category_id: names no category of the file",
        "file: annotations[2]: bbox must be [x, y, width, height]",
        "file: annotations[3]: segmentation: an RLE mask (iscrowd) is not a polygon or a box "
        "this project takes",
    ]
    ((_, _, problems),) = read_coco(b"{", "gold")
    assert str(problems[0]).startswith("file: not COCO JSON")


def test_coco_box_outside_its_picture_is_refused_with_its_image() -> None:
    document = {
        "images": [{"id": 5, "file_name": "a.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [5, 5, 20, 2]}],
    }
    ((number, row, problems),) = read_coco(json.dumps(document), "gold")
    assert row is None and number == 1
    assert str(problems[0]) == (
        "line 1: images[0]: region 1: x = 25 is outside the picture (the picture is 0 to 10)"
    )


def test_coco_keypoints_of_another_tool_name_their_points_and_skip_unmarked_ones() -> None:
    document = {
        "images": [{"id": 9, "file_name": "p.jpg", "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "person", "keypoints": ["nose", "left_eye"]}],
        "annotations": [
            {
                "id": 1,
                "image_id": 9,
                "category_id": 1,
                "bbox": [0, 0, 50, 50],
                "keypoints": [10, 12, 2, 0, 0, 0],
                "num_keypoints": 1,
            }
        ],
    }
    ((_, row, _),) = read_coco(json.dumps(document), "regions", ("box", "point"))
    assert row is not None and row["id"] == "9"
    assert row["data"]["regions"] == [
        {"image": 0, "label": "nose", "type": "point", "x": 10.0, "y": 12.0}
    ]


# YOLO


def yolo_files(drawn: list[Answer]) -> dict[str, bytes]:
    files = write_yolo(items_of(drawn), LABELS)
    for k, ((w, h), _) in enumerate(drawn):
        files[f"images/p{k}.jpg"] = picture(w, h)
    return files


yolo_answers = answers(shapes=("box", "polygon"))


@slow
@given(drawn=st.lists(yolo_answers, min_size=1, max_size=3))
def test_yolo_round_trip(drawn: list[Answer]) -> None:
    rows = read_yolo(yolo_files(drawn), "gold", ("box", "polygon"))
    assert golds(rows) == {f"p{k}": v for k, v in enumerate(expected(drawn).values())}


def test_yolo_files_and_lines() -> None:
    items = [
        ItemRegions(
            "a",
            (Picture("a.jpg", 200, 100),),
            (
                Region(0, "car", "box", 50.0, 25.0, 100.0, 50.0),
                Region(0, "tree", "polygon", points=((0.0, 0.0), (100.0, 0.0), (0.0, 50.0))),
            ),
        )
    ]
    files = write_yolo(items, LABELS)
    assert files["labels/a.txt"] == b"0 0.5 0.5 0.5 0.5\n2 0 0 0.5 0 0 0.5\n"
    assert b"names:\n  0: car\n  1: person\n  2: tree\n" in files["data.yaml"]


def test_yolo_reads_into_what_the_project_takes() -> None:
    files = {
        "classes.txt": b"car\ntree\n",
        "images/train/a.png": picture(200, 100),
        "labels/train/a.txt": b"1 0 0 0.5 0 0 0.5\n0 0.5 0.5 0.5 0.5\n",
        "images/train/empty.png": picture(50, 50),
    }
    rows = read_yolo(files, "gold", ("box",))
    assert golds(rows) == {
        "train/a": dumps(
            [
                Region(0, "car", "box", 50.0, 25.0, 100.0, 50.0),
                Region(0, "tree", "box", 0.0, 0.0, 100.0, 50.0),
            ]
        ),
        "train/empty": '{"regions":[]}',
    }
    ((_, row, _), _) = read_yolo(files, "regions", ("polygon",))
    assert row is not None and [r["type"] for r in row["data"]["regions"]] == ["polygon"] * 2
    assert row["data"]["image"] == "images/train/a.png"


def test_yolo_measures_pictures_upright() -> None:
    files = {
        "classes.txt": b"car\n",
        "images/a.jpg": picture(200, 100, "JPEG", orientation=6),
        "labels/a.txt": b"0 0.5 0.5 0.5 0.5\n",
    }
    ((_, row, _),) = read_yolo(files, "gold")
    assert row is not None and row["data"]["source_sizes"] == [[100, 200]]


def test_yolo_problems_name_the_file_and_line() -> None:
    files = {
        "data.yaml": b"names: [car]\n",
        "images/a.png": picture(20, 20),
        "labels/a.txt": b"0 0.5 0.5 0.5 0.5\n3 0.5 0.5 0.1 0.1\n0 0.5 0.5 x 0.1\n0 1 2\n",
        "labels/ghost.txt": b"0 0.5 0.5 0.5 0.5\n",
    }
    rows = read_yolo(files, "gold")
    messages = [str(p) for _, _, problems in rows for p in problems]
    assert messages == [
        "line 2: labels/a.txt: class '3' is not a class number (0 to 0)",
        "line 3: labels/a.txt: the values after the class must be numbers",
        "line 4: labels/a.txt: 2 values after the class: a box has 4 (cx cy w h), a polygon 6 "
        "or more (x y pairs)",
        "file: labels/ghost.txt: no picture of this name (images/...)",
    ]
    ((_, _, problems),) = read_yolo({"images/a.png": picture(5, 5)}, "gold")
    assert str(problems[0]) == "file: no class names: add data.yaml (names) or classes.txt"


def test_formats_without_points_say_so() -> None:
    dot = [ItemRegions("a", (Picture("a.jpg", 10, 10),), (Region(0, "car", "point", 1, 1),))]
    with pytest.raises(FormatError, match="not points"):
        write_yolo(dot, LABELS)
    with pytest.raises(FormatError, match="boxes only"):
        write_voc(dot)


# Pascal VOC


@slow
@given(drawn=st.lists(answers(shapes=("box",)), min_size=1, max_size=4))
def test_voc_round_trip(drawn: list[Answer]) -> None:
    rows = read_voc(write_voc(items_of(drawn)), "gold")
    assert golds(rows) == expected(drawn)
    assert all(row["data"]["image"].startswith("JPEGImages/p") for _, row, _ in rows if row)


def test_voc_counts_pixels_from_one() -> None:
    item = ItemRegions(
        "street 1", (Picture("s.jpg", 100, 80),), (Region(0, "car", "box", 10.0, 20.5, 20.0, 30.0),)
    )
    files = write_voc([item])
    xml = files["Annotations/street_1.xml"].decode()
    assert "<xmin>11</xmin><ymin>21.5</ymin><xmax>30</xmax><ymax>50.5</ymax>" in xml
    assert "<filename>s.jpg</filename>" in xml
    files["JPEGImages/s.jpg"] = b"..."
    ((_, row, _),) = read_voc(files, "regions")
    assert row is not None and row["id"] == "street_1"
    assert row["data"] == {
        "image": "JPEGImages/s.jpg",
        "source_sizes": [[100, 80]],
        "regions": [item.regions[0].as_json()],
    }


def test_voc_refuses_entities_and_names_missing_fields() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]>'
        b"<annotation><filename>&x;</filename></annotation>"
    )
    missing = b"<annotation><filename>a.jpg</filename><size><width>9</width></size></annotation>"
    nobox = (
        b"<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height>"
        b"</size><object><name>car</name></object></annotation>"
    )
    rows = read_voc(
        {
            "Annotations/bomb.xml": bomb,
            "Annotations/missing.xml": missing,
            "Annotations/nobox.xml": nobox,
        },
        "gold",
    )
    messages = [str(p) for _, _, problems in rows for p in problems]
    assert messages[0].startswith("line 1: Annotations/bomb.xml: not readable XML")
    assert messages[1:] == [
        "line 2: Annotations/missing.xml: <size/height> is missing",
        "line 3: Annotations/nobox.xml: object 1: <bndbox/xmin> is missing",
    ]


# Label Studio


@slow
@given(drawn=st.lists(answers(), min_size=1, max_size=4))
def test_labelstudio_round_trip_as_gold_and_as_predictions(drawn: list[Answer]) -> None:
    items = items_of(drawn)
    assert golds(read_labelstudio(write_labelstudio(items, "gold"))) == expected(drawn)
    assert pre_annotations(read_labelstudio(write_labelstudio(items, "regions"))) == expected(drawn)


def test_labelstudio_results_are_in_percent() -> None:
    item = ItemRegions(
        "a",
        (Picture("a.jpg", 200, 50),),
        (Region(0, "car", "box", 50.0, 10.0, 100.0, 25.0),),
        (0.75,),
    )
    (task,) = json.loads(write_labelstudio([item], "regions"))
    (result,) = task["predictions"][0]["result"]
    assert result["value"] == {
        "x": 25.0,
        "y": 20.0,
        "width": 50.0,
        "height": 50.0,
        "rotation": 0,
        "rectanglelabels": ["car"],
    }
    assert (result["from_name"], result["to_name"], result["type"]) == (
        "box",
        "image",
        "rectanglelabels",
    )
    assert task["predictions"][0]["score"] == 0.75
    assert task["data"] == {"image": "a.jpg", "tapmark_id": "a", "tapmark_index": 0}
    config = labeling_config(LABELS, ("box", "point"), ("nose",))
    assert '<RectangleLabels name="box" toName="image">' in config
    assert '<KeyPointLabels name="keypoint" toName="image">\n    <Label value="nose"/>' in config


def ls_task(value: dict[str, Any], kind: str = "rectanglelabels", **extra: Any) -> str:
    result = {"type": kind, "from_name": "label", "to_name": "image", "value": value, **extra}
    return json.dumps(
        [
            {
                "id": 7,
                "data": {"image": "https://x/a.jpg"},
                "predictions": [{"result": [result]}],
                "annotations": [{"result": [], "ground_truth": False}],
            }
        ]
    )


def test_labelstudio_predictions_without_sizes_are_placed_on_the_stored_picture() -> None:
    text = ls_task({"x": 10, "y": 20, "width": 50, "height": 25, "rectanglelabels": ["car"]})
    ((_, row, problems),) = read_labelstudio(text)
    assert not problems and row is not None and "gold" not in row
    assert row["data"]["source_sizes"] == [[PERCENT_FRAME, PERCENT_FRAME]]
    spec = ProjectSpec(name="cars", title="Cars", task="bbox", labels=["car"])
    kind = BoundingBoxes()
    assert kind.check_item(spec, row["data"]) == []
    stored = {**row["data"], "media": {"kind": "image", "sha": "s", "width": 400, "height": 200}}
    moved, _ = to_stored(kind.rules(spec), stored, None)
    assert moved["regions"] == [
        {"image": 0, "label": "car", "type": "box", "x": 40.0, "y": 40.0, "w": 200.0, "h": 50.0}
    ]


def test_labelstudio_rotated_rectangles_become_polygons_or_are_refused() -> None:
    text = ls_task(
        {"x": 10, "y": 10, "width": 20, "height": 10, "rotation": 90, "rectanglelabels": ["car"]},
        original_width=100,
        original_height=100,
    )
    ((_, row, _),) = read_labelstudio(text, ("box", "polygon"))
    assert row is not None
    assert row["data"]["regions"][0]["points"] == [
        [10.0, 10.0],
        [10.0, 30.0],
        [0.0, 30.0],
        [0.0, 10.0],
    ]
    ((_, _, problems),) = read_labelstudio(text, ("box",))
    assert str(problems[0]) == (
        "line 1: predictions[0].result[0].value: a rectangle rotated "
        "by 90° (the project takes no polygons to hold it)"
    )


def test_labelstudio_ground_truth_is_gold_and_other_results_are_not_read() -> None:
    truth = {
        "type": "keypointlabels",
        "original_width": 50,
        "original_height": 50,
        "value": {"x": 50, "y": 10, "width": 1, "keypointlabels": ["nose"]},
    }
    choice = {"type": "choices", "value": {"choices": ["ok"]}}
    text = json.dumps(
        [
            {
                "data": {"img": "a.jpg"},
                "annotations": [
                    {"result": [choice]},
                    {"ground_truth": True, "result": [truth, choice]},
                ],
            }
        ]
    )
    ((_, row, _),) = read_labelstudio(text)
    assert row is not None and row["id"] == "1" and row["data"]["image"] == "a.jpg"
    assert row["gold"] == '{"regions":[{"image":0,"label":"nose","type":"point","x":25.0,"y":5.0}]}'


def test_imported_rows_pass_the_batch_check_of_their_task_type() -> None:
    spec = ProjectSpec(
        name="cars", title="Cars", task="bbox", labels=list(LABELS), options={"min_size": 2}
    )
    kind = BoundingBoxes()
    drawn = [((300, 200), (Region(0, "car", "box", 10.0, 10.0, 40.0, 30.0),))]
    for rows in (
        read_coco(write_coco(items_of(drawn), LABELS), "gold", ("box",)),
        read_labelstudio(write_labelstudio(items_of(drawn), "gold"), ("box",)),
        read_voc(write_voc(items_of(drawn)), "gold", ("box",)),
    ):
        ((_, row, problems),) = rows
        assert not problems and row is not None
        assert kind.check_item(spec, row["data"]) == []
        assert kind.parse_gold(spec, row["data"], row["gold"]) == dumps(drawn[0][1])
