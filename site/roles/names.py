"""The bureau's roles: each is a Django group of exactly this name. Other apps use these."""

CITY_STAFF = "市级管理员"
DISTRICT_STAFF = "区县管理员"
TEACHER = "教师"
EDITOR = "编辑"
REVIEWER = "审核员"

ALL_ROLES = (CITY_STAFF, DISTRICT_STAFF, TEACHER, EDITOR, REVIEWER)

# 心灵信箱 counsellors: a school's (profile.school) or a district's (profile.district); without
# either, the city pool. Teacher-support counsellors answer teachers' own letters, in their
# district. Not among the five roles above: a counsellor is usually also a teacher.
COUNSELLOR = "心理教师"
TEACHER_SUPPORT_COUNSELLOR = "教师心理支持"
COUNSELLOR_ROLES = (COUNSELLOR, TEACHER_SUPPORT_COUNSELLOR)
