"""Direct-to-S3 multipart uploads: the browser PUTs parts to presigned URLs, so video bytes
never pass through the app server. S3 remembers the parts it has (ListParts), which is what a
resumed upload asks for. The sha256 is computed by the worker when it downloads the source."""

from .. import storage

PRESIGN_SECONDS = 3600


def create(key, content_type):
    response = storage.s3_client().create_multipart_upload(
        Bucket=storage.s3_bucket(),
        Key=storage.s3_key(key),
        ContentType=content_type or "application/octet-stream",
    )
    return response["UploadId"]


def presign_parts(session, part_numbers):
    client = storage.s3_client()  # SigV4 (settings.AWS_S3_SIGNATURE_VERSION)
    return {
        str(number): client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": storage.s3_bucket(),
                "Key": storage.s3_key(session.storage_name),
                "UploadId": session.s3_upload_id,
                "PartNumber": number,
            },
            ExpiresIn=PRESIGN_SECONDS,
        )
        for number in part_numbers
    }


def list_parts(session):
    """The parts S3 already holds: [{number, size, etag}], in order."""
    client = storage.s3_client()
    parts, marker = [], 0
    while True:
        response = client.list_parts(
            Bucket=storage.s3_bucket(),
            Key=storage.s3_key(session.storage_name),
            UploadId=session.s3_upload_id,
            PartNumberMarker=marker,
        )
        parts += [
            {"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"]}
            for p in response.get("Parts", [])
        ]
        if not response.get("IsTruncated"):
            return parts
        marker = response["NextPartNumberMarker"]


def part_count(size, part_size):
    return max(1, -(-size // part_size))


def complete(session, parts):
    storage.s3_client().complete_multipart_upload(
        Bucket=storage.s3_bucket(),
        Key=storage.s3_key(session.storage_name),
        UploadId=session.s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p["number"], "ETag": p["etag"]} for p in parts]},
    )


def abort(session):
    storage.s3_client().abort_multipart_upload(
        Bucket=storage.s3_bucket(),
        Key=storage.s3_key(session.storage_name),
        UploadId=session.s3_upload_id,
    )


def head(session, length):
    """The object's size and its first `length` bytes (to sniff the container)."""
    client = storage.s3_client()
    key = storage.s3_key(session.storage_name)
    size = client.head_object(Bucket=storage.s3_bucket(), Key=key)["ContentLength"]
    if size == 0:
        return 0, b""
    body = client.get_object(Bucket=storage.s3_bucket(), Key=key, Range=f"bytes=0-{length - 1}")
    return size, body["Body"].read()


def delete(session):
    storage.s3_client().delete_object(
        Bucket=storage.s3_bucket(), Key=storage.s3_key(session.storage_name)
    )
