"""``flux-minicluster``: validate a stack and render what it creates, offline.

No cloud account, no Pulumi CLI: the same spec and builders as the Pulumi
program, printed as YAML for review.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SpecError
from .render import render_stream, rendered_resources, to_yaml
from .stackconfig import CONFIG_NAMESPACE, StackConfig, read_stack

DEFAULT_STACK = "stacks/Pulumi.lammps-cpu.yaml"
EXIT_INVALID = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flux-minicluster",
        description="Validate a Flux MiniCluster stack and render the objects it creates.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="print every object a stack creates, as YAML")
    render.add_argument(
        "stack", nargs="?", default=DEFAULT_STACK, help=f"stack file or name (default: {DEFAULT_STACK})"
    )
    render.add_argument("-o", "--output-dir", type=Path, help="write one file per object into this folder")
    render.add_argument(
        "--show-secrets",
        action="store_true",
        help="include the CURVE certificate (a freshly generated one unless the stack has its own)",
    )
    render.set_defaults(run=_render)

    validate = commands.add_parser("validate", help="check stacks; exit 2 with one line per problem")
    validate.add_argument("stacks", nargs="+", help="stack files or names")
    validate.set_defaults(run=_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of the stack configuration")
    schema.set_defaults(run=_schema)
    return parser


def _render(args: argparse.Namespace) -> int:
    stack = read_stack(args.stack)
    resources = rendered_resources(
        stack.spec,
        show_secrets=args.show_secrets,
        certificate_encrypted="curveCertificate" in stack.encrypted_keys,
    )
    if args.output_dir is None:
        sys.stdout.write(render_stream(resources))
        return 0
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for index, resource in enumerate(resources, start=1):
        path = args.output_dir / f"{index:02d}-{resource.name}.yaml"
        path.write_text(to_yaml(resource), encoding="utf-8")
        print(path)
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = False
    for stack in args.stacks:
        try:
            read_stack(stack)
        except SpecError as error:
            failed = True
            prefix = f"{stack}: " if len(args.stacks) > 1 else ""
            for problem in error.problems:
                print(f"{prefix}{problem}", file=sys.stderr)
        else:
            print(f"{stack}: valid")
    return EXIT_INVALID if failed else 0


def _schema(args: argparse.Namespace) -> int:
    schema = StackConfig.model_json_schema(by_alias=True)
    schema["title"] = f"{CONFIG_NAMESPACE} stack configuration (keys under {CONFIG_NAMESPACE}:)"
    json.dump(schema, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
