"""YAML read with the line of every key, so a problem can point where it is written.

``yaml.safe_load`` forgets where things are and silently keeps the last of two
equal keys. Composing the node tree first keeps both: the line of each key
(and list item), and every key written twice in one mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Duplicate:
    """A key written twice in one mapping: YAML keeps only the last value."""

    path: KeyPath
    line: int
    first_line: int


@dataclass(frozen=True)
class LocatedYaml:
    """The data of one YAML document and the line (1-based) of each key in it."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, else of its nearest parent written in the file; 0 if none."""
        for end in range(len(path), 0, -1):
            prefix = path[:end]
            line = self.lines.get(prefix) or self.lines.get(tuple(str(part) for part in prefix))
            if line:
                return line
        return 0


#: The most values a stack file may hold once its aliases are expanded: far
#: above any real stack, far below what takes time to build ("billion laughs").
MAX_EXPANDED_VALUES = 20_000


class TooLarge(Exception):
    """The document expands beyond ``MAX_EXPANDED_VALUES`` values, or refers to itself."""


def load_located(text: str) -> LocatedYaml:
    """Parse one YAML document; raises ``yaml.YAMLError`` as ``yaml.safe_load`` does,
    and ``TooLarge`` for a document whose aliases expand it beyond reason."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    located = LocatedYaml(data)
    if node is not None:
        _walk(node, (), located, set())
    return located


def _walk(node: yaml.Node, path: KeyPath, located: LocatedYaml, ancestors: set[int]) -> None:
    if id(node) in ancestors:  # a recursive alias
        return
    ancestors = ancestors | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                located.duplicates.append(Duplicate((*path, key), line, seen[key]))
                continue
            seen[key] = line
            located.lines[(*path, key)] = line
            _walk(value_node, (*path, key), located, ancestors)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            located.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), located, ancestors)


def _check_expansion(root: yaml.Node) -> None:
    """Count the values the document becomes, each alias at its full size (once per node:
    a shared node is counted from memory, so counting stays as cheap as the file)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise TooLarge("an alias refers to a value that contains it")
        on_path.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        on_path.discard(key)
        if total > MAX_EXPANDED_VALUES:
            raise TooLarge(f"its anchors and aliases expand to more than {MAX_EXPANDED_VALUES:,} values")
        sizes[key] = total
        return total

    size(root)


def error_location(error: yaml.YAMLError, text: str) -> tuple[int, int, str]:
    """Where a YAML error is (1-based line and column) and what it says.

    At the end of the text (an unclosed quote, bracket or brace) the place
    where the unclosed thing began is the useful one; a reader error (a
    character YAML does not allow) gives only a position in the text.
    """
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = error.position - (before.rfind("\n") + 1) + 1
        return (
            line,
            column,
            f"unacceptable character #x{error.character:04x}"
            if isinstance(error.character, int)
            else str(error.reason),
        )
    if isinstance(error, yaml.MarkedYAMLError):
        mark, problem = error.problem_mark, error.problem or str(error).splitlines()[0]
        context = error.context_mark
        at_end = mark is not None and mark.index >= len(text.rstrip())
        if at_end and error.context:
            problem = f"{problem} {error.context}"
            if context is not None and context.index < len(text.rstrip()):
                return context.line + 1, context.column + 1, problem
        if mark is not None:
            if at_end:
                # Past the last line: the last line that says anything.
                last = text.rstrip().count("\n") + 1
                return last, len(text.rstrip().rsplit("\n", 1)[-1]) + 1, problem
            return mark.line + 1, mark.column + 1, problem
    return 1, 1, str(error).splitlines()[0]
