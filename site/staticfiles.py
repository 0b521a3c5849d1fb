"""Static files storage for production: fingerprinted names (WhiteNoise serves them forever)
with the ES modules' imports rewritten to the fingerprinted names too.

Without the rewrite, `import … from "./beat_queue.js"` in the fingerprinted beacon would load
the unfingerprinted file, which changes under a cached page at every deploy.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleAwareManifestStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
