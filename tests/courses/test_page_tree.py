"""Editors can only build the site in the shape students and teachers navigate:
home → listings → series → lessons, and one listing of each kind."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from courses.models import (
    ClassMeetingKitPage,
    CourseIndexPage,
    CourseSeriesPage,
    KitIndexPage,
    LectureIndexPage,
    LecturePage,
    LessonPage,
    LiveEventIndexPage,
    LiveEventPage,
)
from sunshine.home.models import HomePage, InfoPage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_holds_the_four_listings_and_information_pages(self):
        self.assertAllowedSubpageTypes(
            HomePage,
            {CourseIndexPage, LectureIndexPage, KitIndexPage, LiveEventIndexPage, InfoPage},
        )
        self.assertCanCreateAt(Page, HomePage)

    def test_a_lesson_lives_only_in_a_series_and_a_series_only_in_the_course_listing(self):
        self.assertAllowedParentPageTypes(LessonPage, {CourseSeriesPage})
        self.assertAllowedParentPageTypes(CourseSeriesPage, {CourseIndexPage})
        self.assertAllowedSubpageTypes(CourseSeriesPage, {LessonPage})
        self.assertCanNotCreateAt(HomePage, LessonPage)
        self.assertCanNotCreateAt(CourseIndexPage, LessonPage)
        self.assertCanNotCreateAt(LessonPage, LessonPage)

    def test_lectures_kits_and_live_events_sit_under_their_own_listing(self):
        self.assertAllowedParentPageTypes(LecturePage, {LectureIndexPage})
        self.assertAllowedParentPageTypes(ClassMeetingKitPage, {KitIndexPage})
        self.assertAllowedParentPageTypes(LiveEventPage, {LiveEventIndexPage})
        self.assertCanNotCreateAt(CourseIndexPage, ClassMeetingKitPage)
        self.assertCanNotCreateAt(KitIndexPage, LecturePage)
        for leaf in (LessonPage, LecturePage, ClassMeetingKitPage, LiveEventPage):
            self.assertAllowedSubpageTypes(leaf, set())

    def test_listings_go_directly_under_home(self):
        for listing in (CourseIndexPage, LectureIndexPage, KitIndexPage, LiveEventIndexPage):
            self.assertAllowedParentPageTypes(listing, {HomePage})
            self.assertCanNotCreateAt(InfoPage, listing)


class OneListingOfEachKindTests(WagtailPageTestCase):
    def test_a_second_course_listing_cannot_be_added(self):
        from courses.factories import CourseIndexPageFactory
        from sunshine.home.factories import site_with_home

        home = site_with_home()
        self.assertTrue(CourseIndexPage.can_create_at(home))
        CourseIndexPageFactory(parent=home)
        self.assertFalse(CourseIndexPage.can_create_at(home))
