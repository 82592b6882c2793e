"""The app's request class: large uploaded files are written straight into the file store.

Werkzeug writes each multipart file of more than 500 KB to a temporary file, which the
store then copied into its own folder. With the filesystem backend this request class
gives the form parser an :class:`onewindow.storage.Incoming` file in the store's folder
instead (through Werkzeug's public ``make_form_data_parser`` and ``stream_factory``): the
bytes are written once, hashed on the way, and ``FileStorage.put`` renames the file into
place. Every check of an upload is unchanged (``onewindow.cases.materialfiles.receive``);
a file that is refused, or that no view stores, is deleted when the request closes it.
Small files and other backends (S3) keep Werkzeug's own behaviour.
"""

from __future__ import annotations

from typing import IO

from flask import Request, current_app
from werkzeug.formparser import FormDataParser, default_stream_factory

#: Werkzeug keeps smaller files in memory (its default_stream_factory's threshold)
IN_MEMORY = 500 * 1024


def stream_factory(
    total_content_length: int | None, content_type: str | None, filename: str | None, content_length: int | None = None
) -> IO[bytes]:
    from onewindow.storage import FileStorage, storage

    if current_app and (total_content_length is None or total_content_length > IN_MEMORY):
        backend = storage()
        if isinstance(backend, FileStorage):
            return backend.incoming()  # type: ignore[return-value]
    return default_stream_factory(total_content_length, content_type, filename, content_length)


class UploadRequest(Request):
    def make_form_data_parser(self) -> FormDataParser:
        return self.form_data_parser_class(
            stream_factory=stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class,
        )
