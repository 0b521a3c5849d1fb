"""The beacon protocol: validating beats and merging them.

A beat is a cumulative snapshot `{token, seq, watched_s, max_pos_s, duration_s}`. The state of a
play is the maximum of each field over all its beats, so duplicates, retries and any order give
the same state. watched_s is clamped to the wall-clock time since the play started (plus some
slack) when the beat is received: nobody watches 20 minutes in 5.
"""

import math
import time
from dataclasses import dataclass, replace

from analytics import conf, tokens
from analytics.tokens import PlayToken, TokenError

MAX_SEQ = 1_000_000
# Nothing we publish is longer than a day; larger numbers are mistakes or forgeries.
MAX_DURATION_S = 24 * 3600
MAX_WATCHED_S = 2 * MAX_DURATION_S


@dataclass(frozen=True)
class Beat:
    token: PlayToken
    seq: int
    watched_s: int
    max_pos_s: int
    duration_s: int


@dataclass(frozen=True)
class ItemError:
    index: int
    code: str
    message: str

    def as_dict(self):
        return {"index": self.index, "ok": False, "code": self.code, "message": self.message}


def is_counted(watched_s: int, duration_s: int) -> bool:
    """A view (人次) counts once the viewer has watched min(10 s, half the video)."""
    if watched_s <= 0:
        return False
    return watched_s >= 10 or (duration_s > 0 and 2 * watched_s >= duration_s)


def is_completed(watched_s: int, duration_s: int) -> bool:
    return duration_s > 0 and 10 * watched_s >= 9 * duration_s


def _number(item, name, upper, index):
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if value is None:
            raise _Invalid(index, "missing_field", f"缺少字段 {name}")
        raise _Invalid(index, "wrong_type", f"字段 {name} 应为数字")
    if not math.isfinite(value):
        raise _Invalid(index, "wrong_type", f"字段 {name} 应为有限的数字")
    if value < 0:
        raise _Invalid(index, "negative", f"字段 {name} 不能为负数")
    if value > upper:
        raise _Invalid(index, "out_of_range", f"字段 {name} 超出合理范围（最大 {upper}）")
    return int(value)


class _Invalid(Exception):
    def __init__(self, index, code, message):
        super().__init__(message)
        self.error = ItemError(index, code, message)


def validate_beat(item, index=0, *, now=None) -> Beat:
    """A Beat, clamped; raises ValueError-like `BeatRejected` with an ItemError."""
    now = time.time() if now is None else now
    try:
        if not isinstance(item, dict):
            raise _Invalid(index, "not_an_object", "每条心跳应为 JSON 对象")
        try:
            token = tokens.verify(item.get("token"), now=now)
        except TokenError as error:
            raise _Invalid(index, error.code, error.message) from error
        seq = item.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
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
    return clamp(Beat(token, seq, watched, max_pos, duration), now=now)


class BeatRejected(Exception):
    def __init__(self, error: ItemError):
        super().__init__(error.message)
        self.error = error


def clamp(beat: Beat, *, now: float) -> Beat:
    slack = conf.get("ANALYTICS_CLAMP_SLACK_SECONDS")
    elapsed = max(0, int(now - beat.token.issued_at))
    watched = min(beat.watched_s, elapsed + slack)
    max_pos = min(beat.max_pos_s, beat.duration_s) if beat.duration_s else beat.max_pos_s
    if watched == beat.watched_s and max_pos == beat.max_pos_s:
        return beat
    return replace(beat, watched_s=watched, max_pos_s=max_pos)


@dataclass(frozen=True)
class PlayState:
    seq: int = 0
    watched_s: int = 0
    max_pos_s: int = 0
    duration_s: int = 0

    def merge(self, beat) -> "PlayState":
        return PlayState(
            max(self.seq, beat.seq),
            max(self.watched_s, beat.watched_s),
            max(self.max_pos_s, beat.max_pos_s),
            max(self.duration_s, beat.duration_s),
        )

    @property
    def counted(self):
        return is_counted(self.watched_s, self.duration_s)

    @property
    def completed(self):
        return is_completed(self.watched_s, self.duration_s)


def merge_beats(beats) -> dict:
    """Beats grouped by play: {play_id: (token, PlayState)} — the state a store must end with."""
    plays = {}
    for beat in beats:
        token, state = plays.get(beat.token.play_id, (beat.token, PlayState()))
        plays[beat.token.play_id] = (token, state.merge(beat))
    return plays


def beat_to_dict(beat: Beat) -> dict:
    """A JSON-able form for the spool (the token's fields, not its signature)."""
    return {
        "t": beat.token.as_payload(),
        "q": beat.seq,
        "w": beat.watched_s,
        "m": beat.max_pos_s,
        "d": beat.duration_s,
    }


def beat_from_dict(data: dict) -> Beat:
    payload = data["t"]
    fields = {name: payload[short] for name, short in tokens.FIELDS.items()}
    import uuid
    from datetime import date

    fields["play_id"] = uuid.UUID(fields["play_id"])
    fields["day"] = date.fromisoformat(fields["day"])
    return Beat(PlayToken(**fields), data["q"], data["w"], data["m"], data["d"])
