"""The bureau's roles: each is a Django group of exactly this name. Other apps use these."""

CITY_STAFF = "市级管理员"
DISTRICT_STAFF = "区县管理员"
TEACHER = "教师"
EDITOR = "编辑"
REVIEWER = "审核员"

ALL_ROLES = (CITY_STAFF, DISTRICT_STAFF, TEACHER, EDITOR, REVIEWER)
