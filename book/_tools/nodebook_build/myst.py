"""MyST Markdown -> the Markdown Jupyter renders: roles, directives, targets and comments rewritten.

Jupyter (classic, JupyterLab without jupyterlab-myst, Colab, VS Code) renders CommonMark with ``$``
math and HTML. Everything MyST adds on top — ``{role}`text``, ````` ```{directive} ````` and ``:::``
fences, ``(label)=`` targets, ``%`` comments — shows as raw text there. :func:`convert` rewrites the
constructs the chapters use; a construct it does not know is left as it is, so :func:`leftovers` (and
the test that runs it on every generated notebook) reports it instead of it silently disappearing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# A directive fence: ```{name} argument   or   :::{name} argument   (up to 3 spaces of indent).
_DIRECTIVE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[^}\s]+)\}[ \t]*(?P<arg>.*)$")
_CODE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_ROLE_OR_CODE = re.compile(r"(?P<role>\{(?P<name>[A-Za-z][\w:.+-]*)\}`(?P<content>[^`]*)`)"
                           r"|(?P<code>(?P<ticks>`+)[^`].*?(?P=ticks))", re.S)
_TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=[ \t]*$", re.M)
_COMMENT = re.compile(r"^%.*\n?", re.M)
_MD_LINK = re.compile(r"\]\((?!\w+:|#)(?P<path>[^)\s#]+?)\.md(?P<anchor>#[^)\s]*)?\)")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)

ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso",
               "admonition", "dropdown", "margin", "sidebar", "topic", "epigraph", "card"}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode"}
EXERCISE_DIRECTIVES = {"exercise", "exercise-start", "exercise-end", "solution", "solution-start", "solution-end"}


@dataclass
class Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: str


@dataclass
class Block:
    """A piece of a Markdown cell: plain text (``kind="text"``), a code fence, or a directive."""

    kind: str  # "text" | "fence" | "directive"
    text: str = ""
    directive: Directive | None = None


def _closes(line: str, fence: str) -> bool:
    s = line.strip()
    return len(line) - len(line.lstrip()) <= 3 and len(s) >= len(fence) and set(s) == {fence[0]}


def _split_options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive body's leading ``:key: value`` lines (or a ``---`` YAML block), and the rest."""
    options: dict[str, str] = {}
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), None)
        if end is not None:
            for line in lines[1:end]:
                key, _, value = line.partition(":")
                options[key.strip()] = value.strip()
            return options, lines[end + 1:]
    while i < len(lines):
        m = re.match(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$", lines[i])
        if not m:
            break
        options[m["key"]] = m["value"].strip()
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return options, lines[i:]


def split_blocks(text: str) -> list[Block]:
    """Split Markdown into text, code-fence and directive blocks (fences nest the CommonMark way)."""
    lines = text.split("\n")
    blocks: list[Block] = []
    buf: list[str] = []

    def flush():
        if buf:
            blocks.append(Block("text", "\n".join(buf)))
            buf.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m, c = _DIRECTIVE_OPEN.match(line), _CODE_OPEN.match(line)
        if m or c:
            fence = (m or c)["fence"]
            j = i + 1
            while j < len(lines) and not _closes(lines[j], fence):
                j += 1
            inner = lines[i + 1:j]
            flush()
            if m:
                options, body = _split_options(inner)
                blocks.append(Block("directive", directive=Directive(m["name"], m["arg"].strip(), options,
                                                                     "\n".join(body).strip("\n"))))
            else:
                blocks.append(Block("fence", "\n".join(lines[i:j + 1])))
            i = j + 1
            continue
        buf.append(line)
        i += 1
    flush()
    return blocks


@dataclass
class Context:
    """What a conversion can look things up in.

    ``glue`` maps keys to the text/plain of the executed run; ``cite`` turns a list of bibliography keys
    (and the role's name) into Markdown; ``ref`` turns a label into ``(text, url)`` or None; ``doc`` a
    document path into ``(text, url)`` or None. ``missing_glue`` collects keys that had no value.
    """

    glue: dict[str, str] = field(default_factory=dict)
    cite: Callable[[list[str], str], str] | None = None
    ref: Callable[[str], tuple[str, str] | None] | None = None
    doc: Callable[[str], tuple[str, str] | None] | None = None
    missing_glue: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)


def format_glue(text: str, fmt_spec: str) -> str:
    """Format a glued text/plain value the way myst-nb's ``{glue:text}`` role does."""
    from ast import literal_eval

    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    kind = fmt_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


def _role(name: str, content: str, ctx: Context) -> str | None:
    """Markdown for one role, or None to leave it as it is."""
    explicit = _EXPLICIT.match(content)
    text, target = (explicit["text"], explicit["target"]) if explicit else ("", content)
    if name in ("glue:text", "glue", "glue:md"):
        key, _, spec = target.rpartition(":") if ":" in target.split("::")[-1] else (target, "", "")
        key = key.split("::")[-1]
        if key not in ctx.glue:
            ctx.missing_glue.append(key)
            return f"[{key}: computed when the chapter runs]"
        return format_glue(ctx.glue[key], spec if name == "glue:text" else "")
    if name == "cite" or name.startswith("cite:"):
        keys = [k.strip() for k in target.split(",") if k.strip()]
        ctx.cited.extend(k for k in keys if k not in ctx.cited)
        return ctx.cite(keys, name) if ctx.cite else ", ".join(keys)
    if name in ("ref", "numref", "eq", "term"):
        found = ctx.ref(target) if ctx.ref and name != "term" else None
        if found:
            return f"[{text or found[0]}]({found[1]})"
        return text or target
    if name == "doc":
        found = ctx.doc(target) if ctx.doc else None
        if found:
            return f"[{text or found[0]}]({found[1]})"
        return text or target.rsplit("/", 1)[-1]
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup", "kbd"):
        return f"<{name}>{content}</{name}>"
    if name in ("abbr", "download", "file", "command", "program", "guilabel", "menuselection"):
        return text or re.sub(r"\s*\(.*\)$", "", content)
    return None


def convert_inline(text: str, ctx: Context) -> str:
    """Roles rewritten; inline code spans untouched; ``(label)=`` targets become HTML anchors."""

    def sub(m: re.Match) -> str:
        if m["code"]:
            return m["code"]
        out = _role(m["name"], m["content"], ctx)
        return m[0] if out is None else out

    def link(m: re.Match) -> str:
        found = ctx.doc(m["path"]) if ctx.doc else None
        return f"]({found[1]}{m['anchor'] or ''})" if found else m[0]

    text = _COMMENT.sub("", text)
    text = _TARGET.sub(lambda m: f'<a id="{m["label"]}"></a>', text)
    text = _MD_LINK.sub(link, text)
    return _ROLE_OR_CODE.sub(sub, text)


def _quote(title: str, body: str) -> str:
    lines = [f"> **{title}**" if title else None, ">" if title and body.strip() else None]
    lines += [f"> {line}".rstrip() for line in body.split("\n")]
    return "\n".join(line for line in lines if line is not None)


def convert_directive(d: Directive, ctx: Context) -> str | None:
    """Markdown for a directive (not the exercise/solution ones), or None when it is unknown."""
    if d.name in ADMONITIONS:
        title = d.arg if d.arg else ("" if d.name in ("margin", "epigraph", "card") else d.name.capitalize())
        if d.name == "seealso" and not d.arg:
            title = "See also"
        return _quote(convert_inline(title, ctx), convert(d.body, ctx))
    if d.name in CODE_DIRECTIVES:
        return f"```{d.arg}\n{d.body}\n```"
    if d.name == "math":
        return f"$$\n{d.body}\n$$"
    if d.name in ("figure", "image"):
        alt = d.options.get("alt", "")
        caption = convert(d.body, ctx)
        return f"![{alt}]({d.arg})" + (f"\n\n*{caption}*" if caption else "")
    if d.name in ("div", "container", "only"):
        return convert(d.body, ctx)
    if d.name == "raw" and d.arg == "html":
        return d.body
    if d.name in ("glue", "glue:md", "glue:any"):  # a glued value shown as a block (e.g. a Markdown table)
        return _role("glue:md", d.arg.strip(), ctx)
    return None


def _fence(d: Directive) -> str:
    opts = "".join(f":{k}: {v}\n" for k, v in d.options.items())
    return f"```{{{d.name}}} {d.arg}".rstrip() + f"\n{opts}{d.body}\n```"


def convert(text: str, ctx: Context) -> str:
    """A whole Markdown text: directives (recursively), roles, targets and comments."""
    parts = []
    for block in split_blocks(text):
        if block.kind == "fence":
            parts.append(block.text)
        elif block.kind == "text":
            parts.append(convert_inline(block.text, ctx))
        else:
            out = convert_directive(block.directive, ctx)
            parts.append(_fence(block.directive) if out is None else out)
    return "\n".join(parts).strip("\n")
