"""Why a video could not be processed, in words an editor understands.

Every failure the engine raises is a `MediaError` carrying a stable `code` (stored by the app), a
Chinese `reason` (shown to editors), a technical `detail` (for logs only) and `transient`: whether
running the same job again later can succeed (retry) or the file itself is the problem (fail).
"""


class MediaError(Exception):
    transient = False
    default_reason = "视频处理失败。"
    reasons: dict[str, str] = {}

    def __init__(self, code: str, reason: str | None = None, *, detail: str = ""):
        self.code = code
        self.reason = reason or self.reasons.get(code) or self.default_reason
        self.detail = detail
        super().__init__(f"{code}: {self.reason}")

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "reason": self.reason,
            "transient": self.transient,
            "detail": self.detail[-2000:],
        }


class InvalidSource(MediaError):
    """The uploaded file is not a video we can use; uploading it again will not help."""

    default_reason = "上传的文件无法作为视频使用，请检查后重新上传。"
    reasons = {
        "empty": "文件为空（0 字节），请重新上传。",
        "not_a_file": "上传的不是一个普通文件，无法处理。",
        "not_video": "无法识别为视频文件。请上传 MP4、MOV、MKV、WebM、AVI、FLV 或 TS 格式的视频。",
        "playlist": "上传的是播放列表或文件列表，不是视频文件。请上传视频文件本身。",
        "no_video_stream": "文件中没有视频画面（可能是纯音频文件），请上传视频文件。",
        "truncated": "视频文件不完整，可能上传中断或文件被截断。请用原始文件重新上传。",
        "corrupt": "视频文件已损坏（部分画面或声音无法解码）。请用原始文件重新上传。",
        "unsupported_codec": "视频的编码格式不受支持，请转换为 H.264 的 MP4 后再上传。",
        "too_short": "视频太短（不足 1 秒），无法发布。",
        "too_long": "视频超过允许的最长时长，请剪辑分段后上传。",
        "bad_dimensions": "视频画面尺寸异常，无法处理。",
    }


class OutputInvalid(MediaError):
    """The encode finished but its result failed validation; nothing was published."""

    default_reason = "转码结果未通过检查，已停止发布。源文件可能已损坏，请用原始文件重新上传。"
    reasons = {
        "playlist_incomplete": "转码结果不完整（播放列表未结束），已停止发布。源文件可能不完整。",
        "duration_mismatch": "转码后的时长与原视频不一致，源文件可能不完整或已损坏，已停止发布。",
        "segment_too_long": "转码结果的分片时长超出规定，已停止发布。",
        "segment_missing": "转码结果缺少分片文件，已停止发布。",
        "keyframes_misaligned": "各清晰度的分片没有对齐，无法自动切换清晰度，已停止发布。",
        "audio_missing": "原视频有声音，但转码结果没有声音，已停止发布。",
        "segment_undecodable": "转码结果中的分片无法播放，已停止发布。",
        "fallback_invalid": "兼容 MP4 文件生成失败，已停止发布。",
        "images_missing": "封面或预览图生成失败，已停止发布。",
    }


class EncodeFailed(MediaError):
    default_reason = "转码程序处理该文件时出错。源文件可能已损坏，请用原始文件重新上传。"


class ProcessTimeout(MediaError):
    # Not retried automatically: the limit is generous, so a run that hits it is almost always a
    # file that makes ffmpeg stall. An editor who knows the file is fine can re-queue it.
    default_reason = (
        "处理超时：转码时间超过了上限，已停止。"
        "文件可能已损坏或格式异常；如确认文件正常，可重新排队。"
    )


class Cancelled(MediaError):
    transient = True
    default_reason = "处理已取消（任务被取消或服务器正在重启），稍后会重新处理。"


class EnvironmentFailure(MediaError):
    """Not the file's fault: disk full, ffmpeg missing or killed by the system. Retry later."""

    transient = True
    default_reason = "服务器处理视频时遇到临时问题，系统会稍后自动重试。"
    reasons = {
        "disk_full": "服务器磁盘空间不足，系统会稍后自动重试。",
        "ffmpeg_missing": "服务器缺少转码程序（ffmpeg），请联系技术人员。",
        "killed": "转码进程被系统终止（可能内存不足），系统会稍后自动重试。",
    }


class CaptionError(MediaError):
    default_reason = "字幕文件无法识别。请上传 UTF-8 编码的 SRT 或 WebVTT 字幕。"
    reasons = {
        "empty": "字幕文件为空。",
        "encoding": "字幕文件不是 UTF-8 或 GBK 编码的文本，无法读取。",
        "format": "字幕文件格式不正确：请上传 SRT 或 WebVTT（.vtt）字幕。",
        "no_cues": "字幕文件中没有任何字幕条目。",
        "bad_timing": "字幕时间轴有误（结束时间早于开始时间或格式错误）。",
        "language": "字幕语言代码无效（例如应为 zh-Hans、en）。",
    }
