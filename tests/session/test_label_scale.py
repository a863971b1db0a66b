"""The workspace's rating scale: `Scale` itself, and the scale an import ends up with."""

import dataclasses

import pytest

from rerank_tui.session.label_model import DEFAULT_SCALE, MAX_GRADES, Label, Scale
from rerank_tui.session.label_scale import import_scale, judgment_grades

# -- Scale ------------------------------------------------------------------------------------


def test_the_default_scale():
    assert DEFAULT_SCALE.grades == (0, 1, 2, 3) and list(DEFAULT_SCALE) == [0, 1, 2, 3] and len(DEFAULT_SCALE) == 4
    assert DEFAULT_SCALE.text == "0–3"
    assert [DEFAULT_SCALE.name(g) for g in (0, 3, 4)] == ["irrelevant", "perfect", ""]
    assert DEFAULT_SCALE.to_yaml() == {0: "irrelevant", 1: "related", 2: "relevant", 3: "perfect"}


def test_only_whole_numbers_in_range_are_on_a_scale():
    scale = Scale(1, 4)
    assert 1 in scale and 4 in scale
    for outside in (0, 5, True, 2.0, "2", None):
        assert outside not in scale
    assert scale.name(2) == "" and scale.to_yaml() == {1: None, 2: None, 3: None, 4: None}


def test_a_scale_is_hashable_and_compares_its_names():
    assert Scale(1, 4) == Scale(1, 4, {2: None}) and hash(Scale(1, 4)) == hash(Scale(1, 4))
    assert Scale(1, 4, {1: "a"}) != Scale(1, 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Scale(1, 4).low = 0  # frozen


@pytest.mark.parametrize(
    "value, expected",
    [
        ({1: "a", 2: "b", 3: "c", 4: "d"}, Scale(1, 4, {1: "a", 2: "b", 3: "c", 4: "d"})),
        ({0: None, 1: "yes"}, Scale(0, 1, {1: "yes"})),
        ({-1: "junk", 0: None, 1: None}, Scale(-1, 1, {-1: "junk"})),
        ({g: None for g in range(101)}, Scale(0, 100)),
        ("1-4", Scale(1, 4)),
        ("0–10", Scale(0, 10)),
        (" -1 – 4 ", Scale(-1, 4)),
        ("0-3", DEFAULT_SCALE),
        (DEFAULT_SCALE, DEFAULT_SCALE),
    ],
)
def test_parse(value, expected):
    assert Scale.parse(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ({0: "a", 1: "b", 3: "d"}, "grade 2 is missing between 0 and 3"),
        ({"0": "a", "1": "b"}, "grade '0' is not a whole number"),
        ({0.0: "a", 1: "b"}, "grade 0.0 is not a whole number"),
        ({True: "a", 2: "b"}, "grade True is not a whole number"),
        ({1: "only"}, "at least 2 grades, not 1"),
        ({}, "at least 2 grades, not 0"),
        ({g: None for g in range(102)}, "at most 101 grades"),
        ({0: False, 1: "x"}, "the name of grade 0 must be text"),
        ({0: "x" * 201, 1: "x"}, "longer than 200 characters"),
        ("4-1", "the lowest grade comes first"),
        ("3-3", "at least 2 grades"),
        ("0-101", "at most 101 grades"),
        ("1..4", "expected LOW-HIGH"),
        ("1-4.5", "expected LOW-HIGH"),
        ([0, 1, 2], "expected a mapping of grades to names"),
        (3, "expected a mapping of grades to names"),
    ],
)
def test_parse_refuses_with_a_message(value, message):
    with pytest.raises(ValueError) as info:
        Scale.parse(value)
    assert message in str(info.value)


def test_the_constructor_checks_too():
    assert MAX_GRADES == 101
    for low, high in ((3, 3), (4, 1), (0, 101), (True, 3), (0, 3.0)):
        with pytest.raises(ValueError):
            Scale(low, high)
    with pytest.raises(ValueError, match="grade 5 is named but not on the scale 1–4"):
        Scale(1, 4, {5: "x"})


@pytest.mark.parametrize(
    "grades, expected",
    [
        ([1, 2, 4], Scale(1, 4)),
        ([4, 1], Scale(1, 4)),
        ([-1, 4, 2], Scale(-1, 4)),
        ([0, 10, 5], Scale(0, 10)),
        ([0, 3], DEFAULT_SCALE),  # exactly 0–3: the default scale, with its names
        ([1, 2], Scale(1, 2)),
        ([4], Scale(0, 4)),  # one grade: widened to take in 0
        ([-2], Scale(-2, 0)),
        ([0], Scale(0, 1)),
        ([], DEFAULT_SCALE),
    ],
)
def test_covering(grades, expected):
    assert Scale.covering(grades) == expected
    assert Scale.covering(grades).names == expected.names


def test_covering_refuses_a_range_wider_than_a_scale():
    assert Scale.covering([0, 100]) == Scale(0, 100)
    with pytest.raises(ValueError, match="from 0 to 1000: a scale has at most 101 grades"):
        Scale.covering([0, 1000])
    with pytest.raises(ValueError, match="not a whole number"):
        Scale.covering([1, 2.5])


# -- import_scale -----------------------------------------------------------------------------


def test_grades_on_the_workspaces_scale_keep_it():
    assert import_scale(DEFAULT_SCALE, False, [0, 2, 3], None) is DEFAULT_SCALE
    assert import_scale(DEFAULT_SCALE, True, [1, 2], None) is DEFAULT_SCALE  # BEIR's 0–2 fits 0–3
    assert import_scale(Scale(1, 4), False, [], None) == Scale(1, 4)


def test_an_empty_workspace_takes_the_grades_own_range():
    assert import_scale(DEFAULT_SCALE, True, [1, 2, 3, 4], None) == Scale(1, 4)  # Cranfield's 1–4
    assert import_scale(DEFAULT_SCALE, True, [-1, 4, 2], None) == Scale(-1, 4)
    assert import_scale(DEFAULT_SCALE, True, iter([0, 10]), None) == Scale(0, 10)  # Quepid-style
    with pytest.raises(ValueError, match="at most 101 grades"):
        import_scale(DEFAULT_SCALE, True, [0, 500], None)


def test_a_workspace_with_labels_refuses_grades_off_its_scale():
    with pytest.raises(ValueError) as info:
        import_scale(DEFAULT_SCALE, False, [1, 4, 3], None)
    message = str(info.value)
    assert message.startswith("grade 4 is not on this workspace's scale 0–3 (labels.yaml `scale:`)")
    assert "--scale LOW-HIGH" in message and "\n" not in message
    with pytest.raises(ValueError, match=r"^grades -1, 4 are not on this workspace's scale 0–3"):
        import_scale(DEFAULT_SCALE, False, [4, -1, 2, 4], None)
    with pytest.raises(ValueError, match=r"^grades 4, 5, 6, 7, 8 and 2 more are not on"):
        import_scale(DEFAULT_SCALE, False, range(11), None)


def test_a_requested_scale_is_taken_when_every_grade_is_on_it():
    assert import_scale(DEFAULT_SCALE, False, [1, 4], Scale(0, 10)) == Scale(0, 10)
    assert import_scale(DEFAULT_SCALE, True, [1, 2], Scale(1, 4)) == Scale(1, 4)  # even when the grades fit 0–3
    with pytest.raises(ValueError, match="^grade 0 is not on the requested scale 1–4"):
        import_scale(DEFAULT_SCALE, True, [4, 0, 5], Scale(1, 4))


def test_a_requested_range_equal_to_the_workspaces_keeps_its_names():
    named = Scale(1, 4, {1: "a", 4: "d"})
    assert import_scale(named, False, [2], Scale(1, 4)) is named
    other = Scale(1, 4, {1: "x"})
    assert import_scale(named, False, [2], other) is other


def test_judgment_grades():
    judgments = {"q": {"a": Label("a", 4), "b": Label("b", 1)}, "r": {"c": Label("c", 4)}, "empty": {}}
    assert judgment_grades(judgments) == {1, 4}
