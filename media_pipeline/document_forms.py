"""The admin's document form (kit materials, worksheets): file names checked like videos'.

Django's storage would cut a long name to fit the file field (100 characters with the
`documents/` folder and the suffix it adds to a name already taken), and Wagtail a title taken
from it to 255: a name nobody chose. Names Windows cannot save (CON.docx, a name ending in a
dot) would reach the teachers who download them. Both are refused, in Chinese. Control
characters never get here: Django's upload parser has already removed them.
"""

import os

from django import forms
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm

from media_pipeline.uploads.names import filename_error

# documents/<name>_abcdefg.<ext> must fit Document.file's 100 characters.
MAX_DOCUMENT_NAME_LENGTH = 80


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):  # a new file, not the one already kept
            name = os.path.basename(upload.name or "")
            if reason := filename_error(name, max_length=MAX_DOCUMENT_NAME_LENGTH):
                raise forms.ValidationError(reason, code="bad_file_name")
        return upload
