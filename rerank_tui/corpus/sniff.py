"""Is a file text? By name first (known text and known binary extensions), then by content."""

from __future__ import annotations

MARKDOWN_EXTENSIONS = frozenset({"md", "markdown", "mdown", "mkd", "mkdn", "mdx"})
HTML_EXTENSIONS = frozenset({"html", "htm", "xhtml", "shtml"})
TEXT_EXTENSIONS = frozenset(
    {
        # prose and markup
        "txt", "text", "rst", "adoc", "asciidoc", "org", "tex", "bib", "textile", "wiki",
        "pod", "rdoc", "me", "nfo", "1", "man", "xml", "xsl", "opml", "rss", "atom",
        # data and config
        "json", "jsonl", "ndjson", "json5", "jsonc", "yaml", "yml", "toml", "ini", "cfg", "conf",
        "config", "properties", "env", "csv", "tsv", "psv", "log", "out", "err", "diff", "patch",
        "sql", "graphql", "gql", "proto", "lock", "editorconfig", "gitignore", "dockerignore",
        "ipynb", "srt", "vtt", "sub", "po", "pot", "strings", "plist",
        # source code
        "py", "pyi", "pyx", "pxd", "ipy", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts",
        "java", "kt", "kts", "scala", "sc", "groovy", "gradle", "go", "rs", "c", "h", "cc",
        "cpp", "cxx", "c++", "hpp", "hh", "hxx", "inl", "cu", "cuh", "cs", "fs", "fsx", "vb",
        "swift", "m", "mm", "rb", "erb", "rake", "php", "pl", "pm", "t", "lua", "r", "rmd",
        "jl", "sh", "bash", "zsh", "fish", "ksh", "ps1", "psm1", "bat", "cmd", "awk", "sed",
        "vim", "el", "lisp", "cl", "scm", "rkt", "clj", "cljs", "edn", "ex", "exs", "erl",
        "hrl", "hs", "lhs", "ml", "mli", "elm", "dart", "zig", "nim", "v", "sv", "svh", "vhd",
        "vhdl", "asm", "s", "f", "f90", "f95", "for", "pas", "d", "cr", "sol", "tf", "hcl",
        "nix", "dhall", "cmake", "mk", "make", "mak", "bzl", "star", "build", "dockerfile",
        "css", "scss", "sass", "less", "styl", "vue", "svelte", "astro", "hbs", "mustache",
        "j2", "jinja", "jinja2", "tpl", "tmpl", "liquid", "twig", "ejs", "pug", "haml", "slim",
        "tcss", "qml", "glsl", "hlsl", "wgsl", "metal", "cmakelists",
    }
)  # fmt: skip
BINARY_EXTENSIONS = frozenset(
    {
        # images
        "png", "jpg", "jpeg", "jpe", "gif", "bmp", "tif", "tiff", "webp", "ico", "icns", "heic",
        "heif", "avif", "psd", "xcf", "raw", "cr2", "nef", "dng", "svg", "svgz", "eps", "ai",
        # audio and video
        "mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "aac", "wma", "aiff", "mid", "midi",
        "mp4", "m4v", "mkv", "avi", "mov", "webm", "wmv", "flv", "mpg", "mpeg", "3gp",
        # archives and packages
        "zip", "gz", "tgz", "bz2", "tbz2", "xz", "txz", "zst", "lz", "lz4", "lzma", "7z", "rar",
        "tar", "jar", "war", "ear", "whl", "egg", "deb", "rpm", "apk", "aab", "ipa", "dmg",
        "iso", "img", "msi", "cab", "snap", "appimage", "crx", "xpi", "nupkg", "gem",
        # documents we cannot extract text from
        "pdf", "doc", "docx", "xls", "xlsx", "xlsm", "ppt", "pptx", "odt", "ods", "odp", "rtf",
        "epub", "mobi", "azw", "azw3", "djvu", "xps", "pages", "numbers", "key", "one",
        # compiled code and objects
        "exe", "dll", "so", "dylib", "o", "obj", "a", "lib", "ko", "elf", "bin", "dat", "class",
        "pyc", "pyo", "pyd", "wasm", "elc", "beam", "luac", "dex", "pdb", "ilk", "exp",
        # fonts
        "ttf", "otf", "woff", "woff2", "eot", "fon", "pfb",
        # databases and data blobs
        "sqlite", "sqlite3", "db", "mdb", "accdb", "dbf", "parquet", "arrow", "feather", "orc",
        "avro", "tfrecord", "tfrecords", "msgpack", "pb", "lmdb", "mat", "sav", "dta", "rds",
        "rdata", "hdf", "hdf5", "h5", "nc", "npy", "npz", "pkl", "pickle", "joblib",
        # model weights
        "pt", "pth", "ckpt", "safetensors", "onnx", "gguf", "ggml", "tflite", "mlmodel",
        "caffemodel", "params", "weights", "keras",
        # misc
        "swp", "swo", "jks", "p12", "pfx", "der", "keystore", "blend", "fbx", "glb",
        "stl", "3ds", "dwg", "torrent",
    }
)  # fmt: skip
# Extension-less names that are text (a sniff would say so too; this just skips it).
TEXT_NAMES = frozenset(
    {"makefile", "dockerfile", "readme", "license", "licence", "copying", "authors", "changelog",
     "notice", "todo", "gemfile", "rakefile", "procfile", "vagrantfile", "jenkinsfile"}
)  # fmt: skip

SNIFF_BYTES = 8192
# Magic numbers of common binary formats, for files without a telling extension.
_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x7fELF", b"%PDF-", b"PK\x03\x04", b"PK\x05\x06",
    b"\x1f\x8b", b"\xfd7zXZ\x00", b"7z\xbc\xaf", b"Rar!", b"\x28\xb5\x2f\xfd",
    b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\x00asm",
    b"SQLite format 3\x00", b"\x93NUMPY", b"OggS\x00", b"fLaC", b"wOFF", b"wOF2",
)  # fmt: skip
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Bytes a text file does not contain (C0 controls except tab, newline, vertical tab, form
# feed, carriage return and escape, which terminal logs do contain).
_ALLOWED_CONTROLS = b"\t\n\x0b\x0c\r\x1b"
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _ALLOWED_CONTROLS) + b"\x7f"
_KEEP_ONLY_CONTROLS = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def extension(name: str) -> str:
    """Lower-case extension without the dot ("" when there is none)."""
    dot = name.rfind(".")
    return name[dot + 1 :].lower() if dot > 0 else ""


def kind_by_name(name: str) -> str | None:
    """"markdown", "html", "text" or "binary" by file name; None when only content can tell."""
    ext = extension(name)
    if ext in MARKDOWN_EXTENSIONS:
        return "markdown"
    if ext in HTML_EXTENSIONS:
        return "html"
    if ext in TEXT_EXTENSIONS:
        return "text"
    if ext in BINARY_EXTENSIONS:
        return "binary"
    if not ext and name.lower() in TEXT_NAMES:
        return "text"
    return None


def gzip_inner_name(name: str) -> str | None:
    """For `notes.md.gz`, `ls.1.gz`, `CHANGELOG.gz`: the name inside (`notes.md`, ...), whose
    format the decompressed bytes are read as. None for other names, and for compressed
    binaries and archives (`site.tar.gz`, `photo.png.gz`), which stay "binary"."""
    if len(name) <= 3 or name[-3:].lower() != ".gz":
        return None
    inner = name[:-3]
    return None if kind_by_name(inner) == "binary" else inner


def binary_reason(head: bytes) -> str | None:
    """Why the first bytes of a file look binary, or None when they look like text.

    A UTF-16/32 byte-order mark means text (its NUL bytes are expected). Otherwise a known magic
    number, any NUL byte (as git decides), or more than 10% C0 control bytes mean binary.
    """
    head = head[:SNIFF_BYTES]
    if head.startswith(_UTF16_BOMS):
        return None
    if head.startswith(_MAGIC):
        return "magic number"
    if b"\x00" in head:
        return "NUL bytes"
    if head:
        controls = len(head.translate(None, _KEEP_ONLY_CONTROLS))
        if controls * 10 > len(head):
            return "control bytes"
    return None
