from .experts import Expert
from .kits import ClassMeetingKitPage, KitIndexPage, KitMaterial
from .lectures import LectureIndexPage, LecturePage
from .live import LiveEventIndexPage, LiveEventPage
from .review import ReviewTask
from .series import CourseIndexPage, CourseSeriesPage, LessonPage, LessonWorksheet
from .taxonomy import Campaign, GradeBand, Track

__all__ = [
    "Campaign",
    "ClassMeetingKitPage",
    "CourseIndexPage",
    "CourseSeriesPage",
    "Expert",
    "GradeBand",
    "KitIndexPage",
    "KitMaterial",
    "LectureIndexPage",
    "LecturePage",
    "LessonPage",
    "LessonWorksheet",
    "LiveEventIndexPage",
    "LiveEventPage",
    "ReviewTask",
    "Track",
]
