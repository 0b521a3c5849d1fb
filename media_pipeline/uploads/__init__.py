"""Resumable uploads of large recordings: chunks to local storage, or presigned multipart
parts straight to S3 so the bytes never pass through the app server."""
