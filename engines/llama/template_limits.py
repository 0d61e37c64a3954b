"""Time and size limits for chat templates, which are code that arrived inside an untrusted file.

Jinja's sandbox stops attribute tricks, not work: nested `range` loops or `'A' * 2000000000` would
hang the app or fill memory. A `LimitedEnvironment` counts the work one render does and refuses a
template that goes over a budget, with a TemplateError:

- every loop iteration (each `for` loop's iterable is wrapped when the template is parsed), every
  call, filter and intercepted operator costs steps; a render has a step budget and a deadline;
- no value a template builds may be larger than the size budget, checked *before* it is built where
  an operation can multiply its input (`*`, `**`, `+`, `~`, `%`, `replace`, `join`, widths).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from engines.errors import TemplateError

MAX_STEPS = 2_000_000  # loop iterations, calls and filters in one render
MAX_SECONDS = 5.0
BODY_STEPS = 50  # what a macro call or a recursive loop call costs
BASE_SIZE = 1 << 20  # characters a value or the output may have, plus a multiple of the input
INPUT_FACTOR = 4
MAX_INT_BITS = 1 << 16

_ITERATING_FILTERS = frozenset({
    "do_list", "do_join", "do_sort", "do_unique", "do_sum", "do_tojson", "do_batch", "do_slice", "do_groupby",
    "do_reverse", "do_min", "do_max", "do_dictsort", "do_items", "do_map", "do_select", "do_reject",
    "do_selectattr", "do_rejectattr", "do_replace", "do_format", "do_indent", "do_wordwrap", "do_center",
    "do_urlize", "do_striptags", "do_xmlattr", "do_pprint", "do_random", "do_wordcount", "do_truncate",
})
_LOOP = "candeia_loop_guard"
_CONCAT = "candeia_concat_guard"
_DIGITS = re.compile(r"\d+")


class Budget:
    """What one render may still spend."""

    def __init__(self, max_size: int, max_steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.max_size = max_size
        self.steps_left = max_steps
        self.deadline = time.monotonic() + seconds

    def step(self, count: int = 1) -> None:
        self.steps_left -= max(1, count)
        if self.steps_left < 0:
            raise TemplateError("the model's chat template does too much work (a loop or recursion without end?)")
        if time.monotonic() > self.deadline:
            raise TemplateError("the model's chat template took too long to render")

    def size(self, length: int) -> None:
        if length > self.max_size:
            raise TemplateError(f"the model's chat template builds a value too large "
                                f"({length:,} items; the limit is {self.max_size:,})")

    def checked(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, list, tuple, dict, set)):
            self.size(len(value))
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            raise TemplateError("the model's chat template builds a number too large")
        return value

    def ints(self, values: Iterable[Any]) -> None:
        """Widths, counts and repeats: none may exceed the size budget."""
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                self.size(abs(value))

    def format_string(self, text: str) -> None:
        """'%2000000000s' and '{:>2000000000}' would build huge strings from a short one."""
        for digits in _DIGITS.findall(text):
            if len(digits) > 12:
                self.size(10 ** 12)
            self.size(int(digits))

    def loop(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.step()
            yield item


def _length(value: Any) -> int:
    """The steps that going through `value` costs: an item each, but strings are handled in C."""
    if isinstance(value, (str, bytes)):
        return 1 + len(value) // 4096
    return len(value) if isinstance(value, (list, tuple, dict, set, range)) else 1


class _Guards(NodeTransformer):
    """Route every loop's iterable and every `~` through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name(_LOOP, "load"), [node.iter], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name(_CONCAT, "load"), list(node.nodes), [], None, None, lineno=node.lineno)


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, budget: Budget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self.globals[_LOOP] = budget.loop
        self.globals[_CONCAT] = self._concat
        self.filters = {name: self._limited_filter(f) for name, f in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        guarded = _Guards().visit(tree)
        guarded.set_environment(self)
        return guarded  # type: ignore[no-any-return]

    def _concat(self, *values: Any) -> str:
        self.budget.step()
        parts = [str(v) for v in values]
        self.budget.size(sum(len(p) for p in parts))
        return "".join(parts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = self.budget
        budget.step()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int):
                    budget.size(len(seq) * max(count, 0))
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TemplateError("the model's chat template builds a number too large")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 \
                and max(left.bit_length(), 1) * right > MAX_INT_BITS:
            raise TemplateError("the model's chat template builds a number too large")
        elif operator == "+" and isinstance(left, (str, bytes, list, tuple)) and isinstance(right, type(left)):
            budget.size(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            budget.format_string(left)
            budget.ints(right if isinstance(right, tuple) else (right,))
        return budget.checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = __self.budget
        # A macro call or a recursive loop's `loop(children)` runs a whole template body.
        budget.step(BODY_STEPS if isinstance(__obj, (Macro, LoopContext)) else 1)
        if isinstance(__obj, LoopContext) and args:
            args = (budget.loop(args[0]), *args[1:])
        method = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(method, "__self__", None)
        if isinstance(owner, (str, bytes)):
            _check_str_method(budget, owner, getattr(method, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.step(_length(result))
        return budget.checked(result)

    def _limited_filter(self, function: Callable[..., Any]) -> Callable[..., Any]:
        budget = self.budget

        def limited(*args: Any, **kwargs: Any) -> Any:
            values = [a for a in args if not isinstance(a, (Context, jinja2.Environment, nodes.EvalContext))]
            budget.ints([*values[1:], *kwargs.values()])
            name = getattr(function, "__name__", "")
            counts = [v for v in (*values[1:], *kwargs.values()) if isinstance(v, int) and v > 0]
            # Filters that go through their input cost an item each (`length` or `first` do not);
            # slice(n) and batch(n) loop n times.
            walked = _length(values[0]) if values and name in _ITERATING_FILTERS else 1
            budget.step(walked + sum(counts))
            if values and isinstance(values[0], str):
                _check_str_method(budget, values[0], name.removeprefix("do_"), tuple(values[1:]), kwargs)
                if name in ("do_indent", "do_wordwrap", "do_center"):
                    width = values[1] if len(values) > 1 else kwargs.get("width", 0)
                    widths = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
                    budget.size(len(values[0]) + (values[0].count("\n") + 1) * max(widths, 0))
            elif values and name == "do_join":
                _check_join(budget, kwargs.get("d", values[1] if len(values) > 1 else ""), values[0])
            return budget.checked(function(*args, **kwargs))

        # Jinja passes a context or environment to filters marked for it; keep the mark.
        for mark in ("jinja_pass_arg",):
            if hasattr(function, mark):
                setattr(limited, mark, getattr(function, mark))
        return limited


def _check_join(budget: Budget, separator: Any, items: Any) -> None:
    if isinstance(items, (list, tuple, range, str)):
        count = len(items)
        budget.size(len(str(separator)) * max(count - 1, 0) + sum(len(str(i)) for i in items))


def _check_str_method(
    budget: Budget, text: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Refuse a string method whose result would be too large, before it runs."""
    budget.ints([*args, *kwargs.values()])
    if name in ("format", "format_map") and isinstance(text, str):
        budget.format_string(text)
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, type(text)) and isinstance(new, type(text)):
            hits = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
            budget.size(len(text) + hits * max(len(new) - len(old), 0))
    elif name == "join" and args:
        _check_join(budget, text, args[0])
    elif name == "expandtabs":
        size = args[0] if args and isinstance(args[0], int) else 8
        budget.size(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(size, 0))  # type: ignore[arg-type]
