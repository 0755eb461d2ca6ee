"""Text out of uploaded documents: PDF (pypdf), DOCX (its XML, read with the standard library),
Markdown and plain text. Extraction problems are data (a `DomainError`), never a crash."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from minga.core.errors import DomainError

MAX_TEXT_CHARS = 2_000_000
MAX_FILE_BYTES = 25 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def extract_text(filename: str, data: bytes) -> str:
    """The text of a document, by the extension of `filename`; at most MAX_TEXT_CHARS characters."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError.single(
            "file_too_large", f"Documents may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.", field="file"
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        if extension == "pdf":
            text = _pdf(data)
        elif extension == "docx":
            text = _docx(data)
        elif extension in {"md", "markdown", "txt"}:
            text = data.decode("utf-8", errors="replace")
        else:
            raise DomainError.single(
                "unsupported_file", "Upload a PDF, DOCX, Markdown or text file.", field="file"
            )
    except DomainError:
        raise
    except Exception as error:  # a broken file of any kind: tell the user, keep going
        raise DomainError.single(
            "unreadable_file",
            f"The text of this file could not be read ({error.__class__.__name__}).",
            field="file",
        ) from error
    return text.replace("\x00", "")[:MAX_TEXT_CHARS]


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return "\n\n".join(p for p in pages if p)


def _docx(data: bytes) -> str:
    """Paragraphs of word/document.xml; a paragraph with a Heading style becomes a Markdown heading."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    lines: list[str] = []
    for paragraph in root.iter(f"{_W}p"):
        text = "".join(node.text or "" for node in paragraph.iter(f"{_W}t")).strip()
        if not text:
            continue
        style = paragraph.find(f"{_W}pPr/{_W}pStyle")
        name = style.get(f"{_W}val", "") if style is not None else ""
        lines.append(f"## {text}" if name.lower().startswith("heading") else text)
    return "\n\n".join(lines)
