"""The beacon protocol: validating beats and merging them.

A beat is a cumulative snapshot `{token, seq, watched_s, max_pos_s, duration_s}`. The state of a
play is the maximum of each field over all its beats, so duplicates, retries and any order give
the same state. When a beat is received it is clamped: the duration is the video's own (carried
in the token) when we know it, the position never passes the end, and watched_s is at most
twice the time the server has seen pass since the start (ANALYTICS_REALTIME_FACTOR: a view is
earned in real time, a beat claiming 30 s one second after the start credits 2 s), and at most
a few times the duration. Beats are cumulative, so what an early beat could not be credited
yet is credited by a later one once the time has passed.

Whether the play counts (watched ≥ min(10 s, half the duration)) and whether it is complete
(watched ≥ 90 %) is decided on the received numbers before they are rounded to whole seconds,
and kept as two flags that merge with "or": 9.6 s of a 19-second clip counts.
"""

import math
import time
from dataclasses import dataclass

from analytics import conf, tokens
from analytics.tokens import PlayToken, TokenError

MAX_SEQ = 1_000_000
# Nothing we publish is longer than a day; larger numbers are mistakes or forgeries.
MAX_DURATION_S = 24 * 3600
MAX_WATCHED_S = 2 * MAX_DURATION_S
SPOOL_FORMAT = 1


@dataclass(frozen=True)
class Beat:
    token: PlayToken
    seq: int
    watched_s: int
    max_pos_s: int
    duration_s: int
    counted: bool = False
    completed: bool = False


@dataclass(frozen=True)
class ItemError:
    index: int
    code: str
    message: str

    def as_dict(self):
        return {"index": self.index, "ok": False, "code": self.code, "message": self.message}


def is_counted(watched_s: float, duration_s: float) -> bool:
    """A view (人次) counts once the viewer has watched min(10 s, half the video)."""
    if watched_s <= 0:
        return False
    return watched_s >= 10 or (duration_s > 0 and 2 * watched_s >= duration_s)


def is_completed(watched_s: float, duration_s: float) -> bool:
    return duration_s > 0 and 10 * watched_s >= 9 * duration_s


def make_beat(token, seq, watched_s, max_pos_s, duration_s) -> Beat:
    """A beat with its flags decided on the exact numbers, then rounded down to seconds."""
    return Beat(
        token,
        seq,
        int(watched_s),
        int(max_pos_s),
        int(duration_s),
        is_counted(watched_s, duration_s),
        is_completed(watched_s, duration_s),
    )


class _Invalid(Exception):
    def __init__(self, index, code, message):
        super().__init__(message)
        self.error = ItemError(index, code, message)


class BeatRejected(Exception):
    def __init__(self, error: ItemError):
        super().__init__(error.message)
        self.error = error


def _number(item, name, upper, index):
    value = item.get(name)
    if value.__class__ is int or value.__class__ is float:  # the common case, and not bool
        if value != value or value in (math.inf, -math.inf):
            raise _Invalid(index, "wrong_type", f"字段 {name} 应为有限的数字")
    elif value is None:
        raise _Invalid(index, "missing_field", f"缺少字段 {name}")
    else:
        raise _Invalid(index, "wrong_type", f"字段 {name} 应为数字")
    if value < 0:
        raise _Invalid(index, "negative", f"字段 {name} 不能为负数")
    if value > upper:
        raise _Invalid(index, "out_of_range", f"字段 {name} 超出合理范围（最大 {upper}）")
    return value


def validate_beat(item, index=0, *, now=None) -> Beat:
    """A Beat, clamped; raises `BeatRejected` with an ItemError saying what is wrong."""
    now = time.time() if now is None else now
    try:
        if not isinstance(item, dict):
            raise _Invalid(index, "not_an_object", "每条心跳应为 JSON 对象")
        try:
            token = tokens.verify(item.get("token"), now=now)
        except TokenError as error:
            raise _Invalid(index, error.code, error.message) from error
        seq = item.get("seq")
        if seq.__class__ is float and seq.is_integer():
            seq = int(seq)  # JSON has one number type: 5.0 is the integer 5
        if seq.__class__ is not int:
            raise _Invalid(
                index,
                "wrong_type" if seq is not None else "missing_field",
                "字段 seq 应为整数" if seq is not None else "缺少字段 seq",
            )
        if not 0 <= seq <= MAX_SEQ:
            raise _Invalid(index, "out_of_range", f"字段 seq 应在 0 到 {MAX_SEQ} 之间")
        watched = _number(item, "watched_s", MAX_WATCHED_S, index)
        max_pos = _number(item, "max_pos_s", MAX_DURATION_S, index)
        duration = _number(item, "duration_s", MAX_DURATION_S, index)
    except _Invalid as invalid:
        raise BeatRejected(invalid.error) from None
    return clamp(token, seq, watched, max_pos, duration, now=now)


def clamp(token, seq, watched, max_pos, duration, *, now: float) -> Beat:
    """The beat as we believe it: the known duration, no position past the end, no more watched
    than the server has seen pass (at up to 2× speed) nor more than a few times the video.
    `counted` and `completed` are then judged on this credited time, not on the claim."""
    if token.duration_s:
        duration = token.duration_s  # the client's figure could make a 10-second look complete
    elapsed = max(0.0, now - token.issued_at)
    limit = conf.get("ANALYTICS_REALTIME_FACTOR") * elapsed + conf.get(
        "ANALYTICS_CLAMP_SLACK_SECONDS"
    )
    if duration:
        limit = min(limit, conf.get("ANALYTICS_MAX_WATCH_FACTOR") * duration)
        max_pos = min(max_pos, duration)
    return make_beat(token, seq, min(watched, limit), max_pos, duration)


@dataclass(frozen=True)
class PlayState:
    seq: int = 0
    watched_s: int = 0
    max_pos_s: int = 0
    duration_s: int = 0
    counted: bool = False
    completed: bool = False

    def merge(self, beat) -> "PlayState":
        return PlayState(
            max(self.seq, beat.seq),
            max(self.watched_s, beat.watched_s),
            max(self.max_pos_s, beat.max_pos_s),
            max(self.duration_s, beat.duration_s),
            self.counted or beat.counted,
            self.completed or beat.completed,
        )


def merge_beats(beats) -> dict:
    """Beats grouped by play: {play_id: (token, PlayState)} — the state a store must end with."""
    plays = {}
    for beat in beats:
        token, state = plays.get(beat.token.play_id, (beat.token, PlayState()))
        plays[beat.token.play_id] = (token, state.merge(beat))
    return plays


# --- the spool's line format -------------------------------------------------------------
# [format, signed token, seq, watched_s, max_pos_s, duration_s, counted, completed]: the token
# is kept signed, so a damaged line is recognised, and a line is a few dozen bytes plus it.


def beat_to_line(beat: Beat) -> list:
    return [
        SPOOL_FORMAT,
        beat.token.value,
        beat.seq,
        beat.watched_s,
        beat.max_pos_s,
        beat.duration_s,
        int(beat.counted),
        int(beat.completed),
    ]


def beat_from_line(line) -> Beat:
    """The beat of one spool line; ValueError for a line in an unknown format or damaged."""
    if not isinstance(line, list) or len(line) != 8 or line[0] != SPOOL_FORMAT:
        raise ValueError("unknown spool line format")
    _, value, seq, watched, max_pos, duration, counted, completed = line
    try:
        token = tokens.verify(value, check_expiry=False)
    except TokenError as error:
        raise ValueError(error.message) from error
    numbers = (seq, watched, max_pos, duration)
    if not all(n.__class__ is int and n >= 0 for n in numbers):
        raise ValueError("damaged spool line")
    return Beat(token, seq, watched, max_pos, duration, bool(counted), bool(completed))
