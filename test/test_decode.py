"""Decoding the head's maps into a box, on hand-built maps with known answers."""
import numpy as np
import pytest

from siamcar_ros.tracking.decode import (
    STRATEGIES,
    CropGeometry,
    cell_offset,
    coarse_to_fine_decode,
    decode,
    hanning_window,
    reference_decode,
    scale_ratio_penalty,
)
from siamcar_ros.tracking.params import TrackerParams

GEOMETRY = CropGeometry(template_size=127, search_size=255, score_size=25, stride=8)
SIZE = GEOMETRY.score_size
CELL_PIXELS = GEOMETRY.offset + GEOMETRY.stride * np.arange(SIZE)  # pixel of each cell index


def logit(probability):
    probability = np.clip(probability, 1e-6, 1 - 1e-6)
    return np.log(probability / (1 - probability))


def target_maps(center, size, sigma=16.0):
    """Maps a perfect head would give for a target at ``center`` (search-crop px) of ``size``."""
    xs, ys = np.meshgrid(CELL_PIXELS, CELL_PIXELS)
    distance2 = (xs - center[0]) ** 2 + (ys - center[1]) ** 2
    cls = np.exp(-distance2 / (2 * (2 * sigma) ** 2))
    cen = logit(np.exp(-distance2 / (2 * sigma**2)))
    half_w, half_h = size[0] / 2, size[1] / 2
    loc = np.stack([xs - (center[0] - half_w), ys - (center[1] - half_h),
                    center[0] + half_w - xs, center[1] + half_h - ys])
    return cls, cen, loc


def decode_with(strategy, maps, previous_size=(60.0, 40.0), **params):
    chosen = TrackerParams(**{"penalty_k": 0.04, "window_influence": 0.0, "lr": 0.5, **params})
    return decode(strategy, *maps, previous_size_crop=previous_size, params=chosen,
                  geometry=GEOMETRY)


def test_cell_offset_centres_the_grid_on_the_crop():
    assert cell_offset(255, 25, 8) == 31
    assert cell_offset(255, 17, 8) == 63
    assert GEOMETRY.offset == 31


@pytest.mark.parametrize("center", [(140.0, 121.0), (132.0, 147.0), (100.0, 104.0)])
def test_coarse_to_fine_finds_a_peak_between_cells_within_one_pixel(center):
    maps = target_maps(center, (60.0, 40.0))
    decoded = decode_with("coarse_to_fine", maps)
    found = np.array(decoded.point)
    assert np.abs(found - center).max() <= 1.0
    grid_error = np.abs(CELL_PIXELS[np.abs(CELL_PIXELS[:, None] - center).argmin(axis=0)] - center)
    assert grid_error.max() >= 3.0  # the 8-pixel grid alone could not get this close
    np.testing.assert_allclose(decoded.displacement, found - 127.0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_size_is_l_plus_r_and_t_plus_b_at_the_chosen_point(strategy):
    decoded = decode_with(strategy, target_maps((130.0, 125.0), (72.0, 30.0)))
    np.testing.assert_allclose(decoded.size, (72.0, 30.0), atol=1e-3)


def test_reference_maps_upsampled_point_to_search_pixel_plus_offset():
    cls, cen, loc = target_maps((127.0, 127.0), (60.0, 40.0))
    decoded = decode_with("reference", (cls, cen, loc))
    assert decoded.point == pytest.approx((127.0, 127.0), abs=1.0)
    assert decoded.coarse_cell == (12, 12)


def two_candidate_maps(first_cell, second_cell, first_score, second_score, first_size, second_size):
    """Two isolated peaks with their own box sizes; everything else scores zero."""
    cls = np.zeros((SIZE, SIZE))
    cen = np.full((SIZE, SIZE), -20.0)
    loc = np.empty((4, SIZE, SIZE))
    loc[:] = np.array([first_size[0], first_size[1], first_size[0], first_size[1]])[:, None, None] / 2
    for cell, score, size in ((first_cell, first_score, first_size), (second_cell, second_score, second_size)):
        cls[cell] = score
        cen[cell] = 20.0
        loc[:, cell[0], cell[1]] = [size[0] / 2, size[1] / 2, size[0] / 2, size[1] / 2]
    return cls, cen, loc


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_scale_penalty_prefers_the_candidate_keeping_the_previous_size(strategy):
    # Candidate A keeps the previous size; B is a bit stronger but three times larger.
    maps = two_candidate_maps((10, 10), (14, 14), 0.9, 1.0, (60.0, 40.0), (180.0, 120.0))
    no_penalty = decode_with(strategy, maps, penalty_k=0.0)
    strong_penalty = decode_with(strategy, maps, penalty_k=0.5)
    assert no_penalty.coarse_cell == (14, 14)
    assert strong_penalty.coarse_cell == (10, 10)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_window_pulls_the_choice_toward_the_crop_centre(strategy):
    # A (centre cell) is weaker than B (near the border); the cosine window favours A.
    maps = two_candidate_maps((12, 12), (3, 20), 0.7, 1.0, (60.0, 40.0), (60.0, 40.0))
    assert decode_with(strategy, maps, window_influence=0.0).coarse_cell == (3, 20)
    assert decode_with(strategy, maps, window_influence=0.5).coarse_cell == (12, 12)


def test_coarse_step_follows_equation_nine():
    rng = np.random.default_rng(3)
    cls = rng.random((SIZE, SIZE))
    cen = rng.normal(size=(SIZE, SIZE))
    loc = rng.uniform(10, 60, size=(4, SIZE, SIZE))
    previous, k, wi = (50.0, 30.0), 0.2, 0.3
    decoded = coarse_to_fine_decode(cls, cen, loc, previous, k, wi, 0.3, GEOMETRY)
    penalty = scale_ratio_penalty(loc[0] + loc[2], loc[1] + loc[3], *previous, k)
    expected = (1 - wi) * cls * penalty / (1 + np.exp(-cen)) + wi * hanning_window(SIZE)
    assert decoded.coarse_cell == np.unravel_index(expected.argmax(), expected.shape)
    np.testing.assert_allclose(decoded.score_map, expected)


def test_penalty_is_one_for_unchanged_size_and_drops_with_scale_and_ratio_change():
    assert scale_ratio_penalty(60.0, 40.0, 60.0, 40.0, 0.3) == pytest.approx(1.0)
    bigger = scale_ratio_penalty(120.0, 80.0, 60.0, 40.0, 0.3)
    squashed = scale_ratio_penalty(40.0, 60.0, 60.0, 40.0, 0.3)
    assert bigger < 1.0 and squashed < 1.0
    assert scale_ratio_penalty(120.0, 80.0, 60.0, 40.0, 0.0) == pytest.approx(1.0)


def test_size_rate_is_penalty_times_score_times_lr():
    maps = target_maps((127.0, 127.0), (60.0, 40.0))
    decoded = decode_with("coarse_to_fine", maps, previous_size=(60.0, 40.0), lr=0.4)
    assert decoded.size_rate == pytest.approx(decoded.confidence * 0.4, rel=1e-6)
    assert 0.0 <= decoded.confidence <= 1.0 and 0.0 <= decoded.centerness <= 1.0


@pytest.mark.parametrize("cell", [(24, 24), (24, 0), (0, 24), (0, 0), (24, 12)])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_peaks_on_the_last_row_or_column_decode_without_error(strategy, cell):
    cls, cen, loc = two_candidate_maps(cell, cell, 1.0, 1.0, (60.0, 40.0), (60.0, 40.0))
    decoded = decode_with(strategy, (cls, cen, loc))
    assert max(abs(decoded.coarse_cell[0] - cell[0]), abs(decoded.coarse_cell[1] - cell[1])) <= 1
    assert all(np.isfinite(decoded.point))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_decoding_is_generic_in_score_size_and_stride(strategy):
    geometry = CropGeometry(template_size=127, search_size=255, score_size=17, stride=8)
    cells = geometry.offset + geometry.stride * np.arange(17)
    xs, ys = np.meshgrid(cells, cells)
    center = (150.0, 110.0)
    distance2 = (xs - center[0]) ** 2 + (ys - center[1]) ** 2
    cls, cen = np.exp(-distance2 / 2000), logit(np.exp(-distance2 / 500))
    loc = np.stack([xs - center[0] + 30, ys - center[1] + 20, center[0] + 30 - xs, center[1] + 20 - ys])
    params = TrackerParams(window_influence=0.0)
    decoded = decode(strategy, cls, cen, loc, (60.0, 40.0), params, geometry)
    tolerance = 1.0 if strategy == "coarse_to_fine" else geometry.stride
    assert np.abs(np.array(decoded.point) - center).max() <= tolerance
    np.testing.assert_allclose(decoded.size, (60.0, 40.0), atol=1e-3)


def test_reference_normalises_centreness_by_min_max_so_a_constant_map_still_decodes():
    cls, _, loc = target_maps((127.0, 127.0), (60.0, 40.0))
    decoded = reference_decode(cls, np.zeros((SIZE, SIZE)), loc, (60.0, 40.0), 0.04, 0.44, 0.3, GEOMETRY)
    assert np.isfinite(decoded.size).all()


def test_unknown_strategy_names_the_allowed_ones():
    with pytest.raises(ValueError, match="coarse_to_fine, coarse_to_fine_box, reference"):
        decode("fancy", *target_maps((127.0, 127.0), (60.0, 40.0)), (60.0, 40.0),
               TrackerParams(), GEOMETRY)


def test_box_centre_strategy_moves_the_centre_to_the_middle_of_the_regressed_box():
    # every cell regresses the same off-centre box: its middle lies 12 px right of, 6 px
    # below the cell, whatever point the centre-ness refinement picks
    cls, cen, loc = target_maps((127.0, 127.0), (60.0, 40.0))
    loc = loc.copy()
    loc[0] -= 12.0      # l
    loc[2] += 12.0      # r
    loc[1] -= 6.0       # t
    loc[3] += 6.0       # b
    paper = coarse_to_fine_decode(cls, cen, loc, (60.0, 40.0), 0.04, 0.44, 0.3, GEOMETRY)
    boxed = decode("coarse_to_fine_box", cls, cen, loc, (60.0, 40.0), TrackerParams(), GEOMETRY)
    assert boxed.point == paper.point
    moved = np.subtract(boxed.displacement, paper.displacement)
    np.testing.assert_allclose(moved, (12.0, 6.0), atol=0.5)
    np.testing.assert_allclose(boxed.size, paper.size)
