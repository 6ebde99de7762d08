"""A short, thread-safe buffer of the newest camera frames, keyed by their header stamps.

The image callback only `push`es (cheap: no conversion); the processing callback takes the
newest frame not yet processed (`take_newest`), which skips, and counts, every older frame
that was never processed; an init box picks the frame it was drawn on (`find`).

Matching an init stamp (nanoseconds):
- 0 means "the newest frame", when it arrived at most `max_age_ns` ago (else refused);
- otherwise the frame with exactly that stamp, else the nearest frame within `tolerance_ns`;
- a stamp older than the oldest buffered frame (minus the tolerance) is refused as too old;
  one newer than the newest frame (plus the tolerance) is refused as not received yet;
  one inside the buffered span with no frame within the tolerance is refused too (that frame
  was dropped by the transport or the buffer).
Frames must arrive in stamp order: a frame whose stamp is not newer than the newest buffered
frame is refused (`FrameOrderError`) and counted as dropped by the caller, unless it is older
by more than `jump_back_ns`: that is a clock that jumped back (a bag looping, a simulator
reset), so the buffer is cleared and the frame kept (``BufferedFrame.after_clock_jump``).

The buffer holds at most `capacity` frames and at most `max_bytes` bytes of them (the oldest
go first; the newest frame is always kept).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


class FrameLookupError(LookupError):
    """No buffered frame matches an init stamp; the text says why."""


class FrameOrderError(ValueError):
    """A frame whose stamp is not newer than the newest buffered frame."""


@dataclass(frozen=True)
class BufferedFrame:
    stamp_ns: int
    sequence: int  # arrival number, 1, 2, ... since the buffer was created or cleared
    message: Any  # the image message as received; converted only when used
    received_ns: int  # local monotonic time of arrival, for latency figures
    nbytes: int = 0  # size of the message's data
    after_clock_jump: bool = False  # the buffer was cleared for it: its stamp jumped back


class FrameBuffer:
    def __init__(self, capacity: int, max_bytes: int | None = None,
                 jump_back_ns: int = 1_000_000_000):
        if capacity < 1:
            raise ValueError(f"frame buffer capacity must be >= 1, got {capacity}")
        self._frames: deque[BufferedFrame] = deque(maxlen=capacity)
        self._max_bytes = max_bytes
        self._jump_back_ns = int(jump_back_ns)
        self._bytes = 0
        self._lock = threading.Lock()
        self._next_sequence = 1
        self._taken_sequence = 0  # sequence of the last frame handed out by take_newest

    @property
    def capacity(self) -> int:
        return self._frames.maxlen or 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def push(self, stamp_ns: int, message: Any, received_ns: int, nbytes: int = 0) -> BufferedFrame:
        with self._lock:
            jumped = False
            if self._frames and stamp_ns <= self._frames[-1].stamp_ns:
                newest = self._frames[-1].stamp_ns
                if newest - stamp_ns <= self._jump_back_ns:
                    raise FrameOrderError(
                        f"frame stamped {format_stamp(stamp_ns)} arrived after a frame stamped "
                        f"{format_stamp(newest)}; frames must arrive in stamp order"
                    )
                self._clear_locked()
                jumped = True
            frame = BufferedFrame(stamp_ns, self._next_sequence, message, received_ns, int(nbytes), jumped)
            self._next_sequence += 1
            if len(self._frames) == self._frames.maxlen:
                self._bytes -= self._frames[0].nbytes
            self._frames.append(frame)
            self._bytes += frame.nbytes
            while self._max_bytes is not None and self._bytes > self._max_bytes and len(self._frames) > 1:
                self._bytes -= self._frames.popleft().nbytes
            return frame

    def take_newest(self) -> tuple[BufferedFrame | None, int]:
        """(newest frame not yet taken or None, number of frames skipped since the last take)."""
        with self._lock:
            if not self._frames or self._frames[-1].sequence <= self._taken_sequence:
                return None, 0
            newest = self._frames[-1]
            skipped = newest.sequence - self._taken_sequence - 1
            self._taken_sequence = newest.sequence
            return newest, skipped

    def mark_taken(self, sequence: int) -> None:
        """Count frames up to `sequence` as handled (e.g. initialised on or caught up with)."""
        with self._lock:
            self._taken_sequence = max(self._taken_sequence, sequence)

    def newer_than(self, stamp_ns: int) -> list[BufferedFrame]:
        """Buffered frames stamped after `stamp_ns`, oldest first."""
        with self._lock:
            return [f for f in self._frames if f.stamp_ns > stamp_ns]

    def find(self, stamp_ns: int, tolerance_ns: int, max_age_ns: int | None = None,
             now_ns: int | None = None) -> BufferedFrame:
        with self._lock:
            if not self._frames:
                raise FrameLookupError("no image received yet; an init box needs a frame to land on")
            if stamp_ns == 0:
                newest = self._frames[-1]
                age = None if max_age_ns is None or now_ns is None else now_ns - newest.received_ns
                if age is not None and age > max_age_ns:
                    raise FrameLookupError(
                        f"an init box stamped 0 takes the newest frame, but that frame arrived "
                        f"{age / 1e9:.1f} s ago (more than init_max_age_s {max_age_ns / 1e9:g} s): "
                        "the box would land on an old picture; stamp it with its frame's stamp"
                    )
                return newest
            oldest, newest = self._frames[0].stamp_ns, self._frames[-1].stamp_ns
            if stamp_ns < oldest - tolerance_ns:
                raise FrameLookupError(
                    f"init stamp {format_stamp(stamp_ns)} is older than the oldest buffered frame "
                    f"({format_stamp(oldest)}; {len(self._frames)} frames kept): send it sooner, "
                    "raise frame_buffer_length, or use stamp 0 for the newest frame"
                )
            if stamp_ns > newest + tolerance_ns:
                raise FrameLookupError(
                    f"init stamp {format_stamp(stamp_ns)} is newer than the newest frame "
                    f"({format_stamp(newest)}): that frame has not been received"
                )
            nearest = min(self._frames, key=lambda f: abs(f.stamp_ns - stamp_ns))
            if abs(nearest.stamp_ns - stamp_ns) > tolerance_ns:
                raise FrameLookupError(
                    f"no buffered frame within {tolerance_ns / 1e6:g} ms of init stamp "
                    f"{format_stamp(stamp_ns)} (nearest {format_stamp(nearest.stamp_ns)})"
                )
            return nearest

    def clear(self) -> None:
        with self._lock:
            self._clear_locked()

    def _clear_locked(self) -> None:
        self._frames.clear()
        self._bytes = 0
        self._taken_sequence = self._next_sequence - 1


def format_stamp(stamp_ns: int) -> str:
    seconds, nanoseconds = divmod(int(stamp_ns), 1_000_000_000)
    return f"{seconds}.{nanoseconds:09d}"


def stamp_to_ns(stamp) -> int:
    """builtin_interfaces/Time-like (sec, nanosec) -> integer nanoseconds."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)
