"""With the bundled default model, the node's detections follow a moving target over DDS."""

import numpy as np
import pytest

from node_test_support import NodeHarness, init_message

pytestmark = pytest.mark.ros

FRAME_NS = 33_333_333
FRAMES = 40


@pytest.fixture(scope="module")
def harness():
    from siamcar_ros.tracking import default_checkpoint_path

    if not default_checkpoint_path().is_file():
        pytest.skip(f"default model {default_checkpoint_path()} not present")
    harness = NodeHarness(domain_id=64, parameters={"rate_hz": 100.0, "device": "cpu"})
    harness.configure_and_activate()
    yield harness
    harness.close()


def test_detections_follow_a_procedural_target_frame_by_frame(harness):
    from siamcar_ros.evaluation.metrics import iou
    from siamcar_ros.data.procedural import generate_sequence

    sequence = generate_sequence(seed=20, length=FRAMES, size=(240, 320), attributes=[])
    start = 50 * 10**9
    harness.publish_frame(sequence.frames[0], start)
    harness.wait_until(lambda: harness.has_frame(start), "the first frame")
    harness.init_pub.publish(init_message(tuple(sequence.ground_truth[0]), start))
    harness.status_with("tracking target")
    predicted = []
    for index in range(1, FRAMES):
        detection = harness.publish_and_wait_detection(sequence.frames[index], start + index * FRAME_NS)
        x = detection.bbox.center.position.x - detection.bbox.size_x / 2
        y = detection.bbox.center.position.y - detection.bbox.size_y / 2
        predicted.append((x, y, detection.bbox.size_x, detection.bbox.size_y))
    overlaps = iou(np.array(predicted), sequence.ground_truth[1:])
    assert overlaps.mean() > 0.5, f"mean IoU {overlaps.mean():.2f}"
    assert overlaps[-10:].mean() > 0.4, "the target was lost by the end"
