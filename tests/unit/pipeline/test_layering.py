import ast
from pathlib import Path

import rounds.pipeline

ALLOWED_ROUNDS = ("rounds.domain", "rounds.pipeline")


def test_pipeline_imports_only_domain_stdlib_and_third_party() -> None:
    root = Path(rounds.pipeline.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if name.startswith("rounds") and not name.startswith(ALLOWED_ROUNDS)
            ]
    assert offenders == []
