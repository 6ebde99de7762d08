"""Per-cell targets on hand-built boxes."""
import numpy as np
import pytest

from siamcar_ros.training.targets import CellGrid, build_targets, centerness_from_distances

PUBLIC_GRID = CellGrid(score_size=25, stride=8, offset=32)


def test_cells_sit_at_stride_times_index_plus_offset():
    xs, ys = PUBLIC_GRID.cell_centres()
    assert xs[0, 0] == 32 and ys[0, 0] == 32
    assert xs[3, 7] == 8 * 7 + 32 and ys[3, 7] == 8 * 3 + 32
    assert xs[24, 24] == 224


def test_distances_are_cell_to_box_sides():
    targets = build_targets((100, 90, 164, 170), PUBLIC_GRID)
    row, col = 8, 10           # cell at x = 112, y = 96
    assert targets.ltrb[:, row, col] == pytest.approx([12, 6, 52, 74])
    # outside the box some distance is negative and centre-ness is zero
    assert (targets.ltrb[:, 0, 0] < 0).any() and targets.centerness[0, 0] == 0


def test_centerness_is_one_at_the_centre_and_follows_eq6():
    ltrb = np.array([10, 10, 10, 10], np.float32).reshape(4, 1, 1)
    assert centerness_from_distances(ltrb)[0, 0] == pytest.approx(1.0)
    ltrb = np.array([5, 2, 15, 8], np.float32).reshape(4, 1, 1)
    assert centerness_from_distances(ltrb)[0, 0] == pytest.approx(np.sqrt(5 / 15 * 2 / 8))


def test_positives_are_the_central_part_of_the_box():
    # box 96..160 wide (w = 64): positives need l, r > 0.6 * 32 = 19.2, i.e. x in (115.2, 140.8)
    targets = build_targets((96, 96, 160, 160), PUBLIC_GRID)
    xs, _ = PUBLIC_GRID.cell_centres()
    positive_xs = sorted(set(xs[targets.labels == 1].tolist()))
    assert positive_xs == [120, 128, 136]
    assert targets.labels.sum() == 9
    assert set(np.unique(targets.labels)) == {0, 1}


def test_negative_pair_has_no_positives_but_keeps_distances():
    targets = build_targets((96, 96, 160, 160), PUBLIC_GRID, negative_pair=True)
    assert targets.labels.sum() == 0
    assert targets.ltrb.shape == (4, 25, 25)


def test_grid_is_generic_in_size_stride_and_offset():
    grid = CellGrid(score_size=17, stride=8, offset=63)
    targets = build_targets((100, 100, 156, 156), grid)
    assert targets.labels.shape == (17, 17)
    rows, cols = np.nonzero(targets.labels)
    assert np.all(63 + 8 * cols > 100) and np.all(63 + 8 * cols < 156)


@pytest.mark.parametrize("box", [(10, 10, 10, 20), (10, 10, 5, 20)])
def test_degenerate_box_is_rejected(box):
    with pytest.raises(ValueError, match="x1 > x0"):
        build_targets(box, PUBLIC_GRID)


def test_bad_grid_and_fraction_are_rejected():
    with pytest.raises(ValueError, match="score_size"):
        CellGrid(score_size=0)
    with pytest.raises(ValueError, match="positive_fraction"):
        build_targets((0, 0, 50, 50), PUBLIC_GRID, positive_fraction=1.5)
