# No models: roles are Django groups. This module exists so Django sends this app the
# post_migrate signal (it skips apps without one), which creates the groups on a fresh database.
