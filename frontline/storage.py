from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files in production.

    Not strict, so that tests and a fresh checkout render pages before collectstatic
    has written the manifest: a missing entry falls back to the plain file name.
    """

    manifest_strict = False
